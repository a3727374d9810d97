"""Fixtures of the SSO e2e tests: the providers' stand-ins and a platform configured to use them."""

import copy
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.sso_standins import CognitoHostedUI, GitHubOAuth, GoogleOAuth


@pytest.fixture
def cognito():
    standin = CognitoHostedUI()
    yield standin
    standin.close()


@pytest.fixture
def google():
    standin = GoogleOAuth(client_id="google-client", client_secret="google-secret")
    yield standin
    standin.close()


@pytest.fixture
def github():
    standin = GitHubOAuth(client_id="github-client", client_secret="github-secret")
    yield standin
    standin.close()


def sso_config(platform_config, cognito, google, github):
    config = copy.deepcopy(platform_config)
    gateway = f"http://{config['WEB_SERVER_ADDRESS']}"
    config["AUTH"] = {
        **config["AUTH"],
        "COGNITO": {
            **config["AUTH"]["COGNITO"],
            "REGION": "us-east-1",
            "USER_POOL_ID": cognito.pool_id,  # the issuer is derived from region and pool, as on AWS
            "CLIENT_ID": cognito.client_id,
            "CLIENT_SECRET": cognito.client_secret,
            "DOMAIN_URL": cognito.base_url,
            "JWKS_URL": f"{cognito.base_url}/.well-known/jwks.json",
            "JWKS_MIN_REFETCH_SECONDS": 0,
            "REDIRECT_URI": f"{gateway}/auth/sso/callback",
            "LOGOUT_REDIRECT_URI": "http://app.example/signed-out",
        },
        "GOOGLE": {
            "CLIENT_ID": google.client_id,
            "CLIENT_SECRET": google.client_secret,
            "AUTHORIZE_URL": f"{google.base_url}/o/oauth2/v2/auth",
            "TOKEN_URL": f"{google.base_url}/token",
            "USERINFO_URL": f"{google.base_url}/v1/userinfo",
            "REDIRECT_URI": "http://app.example/oauth/google",
        },
        "GITHUB": {
            "CLIENT_ID": github.client_id,
            "CLIENT_SECRET": github.client_secret,
            "AUTHORIZE_URL": f"{github.base_url}/login/oauth/authorize",
            "TOKEN_URL": f"{github.base_url}/login/oauth/access_token",
            "USERINFO_URL": f"{github.base_url}/user",
            "EMAILS_URL": f"{github.base_url}/user/emails",
            "REDIRECT_URI": "http://app.example/oauth/github",
        },
    }
    return config


def allow_plain_http(monkeypatch):
    # oauthlib insists on https; the stand-ins speak plain http on 127.0.0.1.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def visit_provider(url):
    """The browser at the provider: returns where the provider sends it back, and that URL's query."""
    response = requests.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    location = response.headers["Location"]
    return location, {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def follow_provider(url, standin, hops=5):
    """The browser through the provider's own redirects (e.g. /logout -> /login): where it is sent back to the
    app at last, and that URL's query."""
    for _ in range(hops):
        location, query = visit_provider(url)
        if not location.startswith(standin.base_url):
            return location, query
        url = location
    raise AssertionError(f"the provider kept redirecting to itself: {url}")
