"""OAuth 2.0 authorization-code sign-in with state and PKCE (requests-oauthlib): Google, GitHub, and the
code exchange Cognito's hosted UI shares with them. Endpoints come from config (tests use local stand-ins).
"""

from dataclasses import dataclass

import requests
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from requests_oauthlib import OAuth2Session

from auth.sign_in_states import pkce_challenge
from common.exceptions import NotConfigured, ServiceUnavailable, Unauthorized, ValidationError

HTTP_TIMEOUT_SECONDS = 10
BAD_CODE = "The provider did not accept the authorization code; start the sign-in again"


@dataclass(frozen=True)
class ExternalIdentity:
    """Who the provider says signed in: ``subject`` is the provider's stable id, never the email."""

    provider: str
    subject: str
    email: str
    email_verified: bool
    name: str | None = None


def denied(error, description=None):
    """The provider sent the user back with ``error`` instead of a code (e.g. access_denied)."""
    if error == "access_denied":
        return Unauthorized("Sign-in was cancelled: consent was not given at the provider")
    detail = f": {description}" if description else ""
    return Unauthorized(f"The provider refused the sign-in ({error}){detail}")


class OAuthClient:
    """One provider's client id/secret and endpoints; authorization URL and code exchange."""

    name = None
    default_scopes = ()

    def __init__(self, settings):
        settings = settings or {}
        self.client_id = settings.get("CLIENT_ID") or ""
        self.client_secret = settings.get("CLIENT_SECRET") or None
        self.authorize_url = settings.get("AUTHORIZE_URL") or ""
        self.token_url = settings.get("TOKEN_URL") or ""
        self.redirect_uri = settings.get("REDIRECT_URI") or ""
        scopes = settings.get("SCOPES")
        self.scopes = scopes.split() if isinstance(scopes, str) and scopes.strip() else list(self.default_scopes)

    def ensure_configured(self):
        if not (self.client_id and self.authorize_url and self.token_url):
            raise NotConfigured(f"Sign-in with {self.name} is not configured", {"provider": self.name})

    def authorization_url(self, state, code_verifier, redirect_uri):
        self.ensure_configured()
        session = OAuth2Session(self.client_id, redirect_uri=redirect_uri, scope=self.scopes)
        url, _ = session.authorization_url(
            self.authorize_url,
            state=state,
            code_challenge=pkce_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return url

    def exchange(self, code, code_verifier, redirect_uri):
        """The provider's token response for ``code``; 401 when the provider refuses it."""
        self.ensure_configured()
        if not code:
            raise ValidationError("The authorization code is missing", {"code": ["required"]})
        # No scope here: oauthlib would refuse a token whose scope reads differently (GitHub's are comma separated).
        session = OAuth2Session(self.client_id, redirect_uri=redirect_uri)
        # A sign-in started without PKCE (code_verifier None) sends no verifier: its code has no challenge.
        pkce = {} if code_verifier is None else {"code_verifier": code_verifier}
        try:
            token = session.fetch_token(
                self.token_url,
                code=code,
                client_secret=self.client_secret,
                include_client_id=True,
                timeout=HTTP_TIMEOUT_SECONDS,
                **pkce,
            )
        except OAuth2Error as error:  # invalid_grant (bad, spent or expired code), invalid_client...
            raise Unauthorized(BAD_CODE) from error
        except (requests.RequestException, ValueError) as error:
            raise ServiceUnavailable(f"{self.name} could not be reached to finish the sign-in") from error
        return session, token

    def _get_json(self, session, url):
        try:
            response = session.get(url, timeout=HTTP_TIMEOUT_SECONDS, headers={"Accept": "application/json"})
        except requests.RequestException as error:
            raise ServiceUnavailable(f"{self.name} could not be reached to read the profile") from error
        if response.status_code in (401, 403):
            raise Unauthorized(f"{self.name} did not accept the access token")
        if response.status_code != 200:
            raise ServiceUnavailable(f"{self.name} answered {response.status_code} to the profile request")
        return response.json()


class GoogleClient(OAuthClient):
    name = "google"
    default_scopes = ("openid", "email", "profile")

    def __init__(self, settings):
        super().__init__(settings)
        self.userinfo_url = (settings or {}).get("USERINFO_URL") or ""

    def identity(self, session):
        """OpenID Connect userinfo: ``sub``, ``email``, ``email_verified``, ``name``."""
        info = self._get_json(session, self.userinfo_url)
        if not info.get("sub") or not info.get("email"):
            raise Unauthorized("Google did not share the account id and email")
        return ExternalIdentity(
            provider=self.name,
            subject=str(info["sub"]),
            email=str(info["email"]).strip().lower(),
            email_verified=info.get("email_verified") in (True, "true"),
            name=info.get("name"),
        )


class GitHubClient(OAuthClient):
    name = "github"
    default_scopes = ("read:user", "user:email")

    def __init__(self, settings):
        super().__init__(settings)
        self.userinfo_url = (settings or {}).get("USERINFO_URL") or ""
        self.emails_url = (settings or {}).get("EMAILS_URL") or ""

    def identity(self, session):
        """GET /user for the id and name; the email is the verified primary one from GET /user/emails."""
        user = self._get_json(session, self.userinfo_url)
        if user.get("id") is None:
            raise Unauthorized("GitHub did not share the account id")
        emails = self._get_json(session, self.emails_url)
        primary = next((item for item in emails if item.get("primary")), None)
        if primary is None or not primary.get("email"):
            raise Unauthorized("The GitHub account has no primary email")
        return ExternalIdentity(
            provider=self.name,
            subject=str(user["id"]),
            email=str(primary["email"]).strip().lower(),
            email_verified=primary.get("verified") is True,
            name=user.get("name") or user.get("login"),
        )


OAUTH_CLIENTS = {"google": GoogleClient, "github": GitHubClient}
