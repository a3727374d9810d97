"""SSO building blocks without Nameko: the state/PKCE store, the ID token check, pool errors, OAuth profiles."""

import time
from datetime import timedelta

import jwt
import pytest
from oauthlib.oauth2 import WebApplicationClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from auth import sign_in_states
from auth.models import Base, SignInState
from auth.providers.cognito import CognitoHostedUI as HostedUIClient
from auth.providers.cognito import PoolError, secret_hash
from auth.providers.oauth import GitHubClient, GoogleClient, denied
from common.clock import utcnow
from common.exceptions import Conflict, RateLimited, Unauthorized, ValidationError
from tests.support.sso_standins import CognitoHostedUI, make_rsa_key


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


def test_a_state_is_spent_once_and_gives_back_its_verifier(session):
    state, verifier = sign_in_states.start(session, "google", "http://app.example/cb", 600)
    session.commit()
    assert session.scalars(select(SignInState)).one().state_hash != state  # only the hash is kept
    assert sign_in_states.spend(session, "google", state) == (verifier, "http://app.example/cb")
    with pytest.raises(Unauthorized):
        sign_in_states.spend(session, "google", state)


def test_a_state_started_without_pkce_keeps_no_verifier_and_is_spent_once(session):
    state, verifier = sign_in_states.start(session, "cognito", "http://app.example/cb", 600, pkce=False)
    session.commit()
    assert verifier is None and session.scalars(select(SignInState)).one().code_verifier is None
    assert sign_in_states.spend(session, "cognito", state) == (None, "http://app.example/cb")
    with pytest.raises(Unauthorized):
        sign_in_states.spend(session, "cognito", state)


def test_a_state_of_another_provider_an_unknown_or_an_expired_one_is_refused(session):
    state, _ = sign_in_states.start(session, "google", "http://app.example/cb", 600)
    old, _ = sign_in_states.start(session, "cognito", "http://app.example/cb", 600)
    session.commit()
    with pytest.raises(Unauthorized):
        sign_in_states.spend(session, "github", state)
    with pytest.raises(Unauthorized):
        sign_in_states.spend(session, "google", state)  # the failed attempt spent it too
    with pytest.raises(Unauthorized):
        sign_in_states.spend(session, "cognito", "made-up")
    with pytest.raises(Unauthorized):
        sign_in_states.spend(session, "cognito", None)
    row = session.scalars(select(SignInState).where(SignInState.provider == "cognito")).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(Unauthorized):
        sign_in_states.spend(session, "cognito", old)


def test_abandoned_states_are_forgotten_when_new_ones_start(session):
    sign_in_states.start(session, "google", "http://app.example/cb", 600)
    session.commit()
    session.scalars(select(SignInState)).one().expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    sign_in_states.start(session, "google", "http://app.example/cb", 600)
    session.commit()
    assert len(session.scalars(select(SignInState)).all()) == 1


def test_the_pkce_challenge_is_s256_as_oauthlib_makes_it():
    verifier = "dBjftJeZ4CVP-mJ92K9MNE6AKzUqBqRPFgndmRL5QSAmore-than-43-characters"
    assert sign_in_states.pkce_challenge(verifier) == WebApplicationClient("x").create_code_challenge(verifier, "S256")


@pytest.fixture
def hosted_ui():
    standin = CognitoHostedUI()
    yield standin
    standin.close()


def client_for(standin, **overrides):
    settings = {
        "REGION": "us-east-1",
        "USER_POOL_ID": standin.pool_id,
        "CLIENT_ID": standin.client_id,
        "DOMAIN_URL": standin.base_url,
        "JWKS_URL": f"{standin.base_url}/.well-known/jwks.json",
        "JWKS_MIN_REFETCH_SECONDS": 0,
    }
    settings.update(overrides)
    return HostedUIClient(settings)


def id_token(standin, key=None, kid=None, **claims):
    now = int(time.time())
    payload = {
        "sub": "sub-1",
        "email": "A@Example.com",
        "email_verified": True,
        "iss": standin.issuer,
        "aud": standin.client_id,
        "token_use": "id",
        "iat": now,
        "exp": now + 300,
    }
    payload.update(claims)
    return jwt.encode(payload, key or standin.signing_key, algorithm="RS256", headers={"kid": kid or standin.kid})


def test_a_good_id_token_gives_the_identity_by_sub(hosted_ui):
    identity = client_for(hosted_ui).identity({"id_token": id_token(hosted_ui)})
    assert (identity.provider, identity.subject, identity.email, identity.email_verified) == (
        "cognito",
        "sub-1",
        "a@example.com",
        True,
    )


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "another-client"},
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"},
        {"token_use": "access"},
        {"exp": int(time.time()) - 60},
    ],
    ids=["audience", "issuer", "token_use", "expired"],
)
def test_an_id_token_for_someone_else_or_out_of_date_is_refused(hosted_ui, claims):
    with pytest.raises(Unauthorized):
        client_for(hosted_ui).verify_id_token(id_token(hosted_ui, **claims))


def test_a_forged_or_malformed_id_token_is_refused(hosted_ui):
    client = client_for(hosted_ui)
    with pytest.raises(Unauthorized):
        client.verify_id_token(id_token(hosted_ui, key=make_rsa_key()))
    with pytest.raises(Unauthorized):
        client.verify_id_token(id_token(hosted_ui, key=make_rsa_key(), kid="unknown"))
    with pytest.raises(Unauthorized):
        client.verify_id_token("not-a-jwt")
    with pytest.raises(Unauthorized):
        client.identity({"access_token": "no id token"})


def test_the_jwks_is_cached_and_fetched_again_for_an_unknown_kid(hosted_ui):
    client = client_for(hosted_ui, JWKS_URL=f"{hosted_ui.base_url}/.well-known/jwks.json?cache-test")
    client.verify_id_token(id_token(hosted_ui))
    client.verify_id_token(id_token(hosted_ui))
    assert hosted_ui.jwks_requests == 1
    hosted_ui.rotate_key()
    client.verify_id_token(id_token(hosted_ui))
    assert hosted_ui.jwks_requests == 2


def test_unknown_kids_do_not_refetch_more_often_than_allowed(hosted_ui):
    client = client_for(
        hosted_ui, JWKS_URL=f"{hosted_ui.base_url}/.well-known/jwks.json?slow", JWKS_MIN_REFETCH_SECONDS=3600
    )
    client.verify_id_token(id_token(hosted_ui))
    for _ in range(3):
        with pytest.raises(Unauthorized):
            client.verify_id_token(id_token(hosted_ui, key=make_rsa_key(), kid="unknown"))
    assert hosted_ui.jwks_requests == 1


def test_the_issuer_and_urls_come_from_the_pool_and_domain():
    client = HostedUIClient(
        {"REGION": "eu-west-1", "USER_POOL_ID": "eu-west-1_abc", "CLIENT_ID": "c", "DOMAIN_URL": "https://d.example/"}
    )
    assert client.issuer == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert client.jwks_url == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/jwks.json"
    assert client.token_url == "https://d.example/oauth2/token"
    assert client.logout_url("s1", "https://app.example/cb") == (
        "https://d.example/logout?client_id=c&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code"
        "&scope=openid+email+profile&state=s1"
    )
    assert client.sign_out_url() is None


def test_pool_errors_are_answered_as_domain_errors():
    assert isinstance(PoolError("UsernameExistsException", "").domain_error(), Conflict)
    invalid = PoolError("InvalidPasswordException", "").domain_error()
    assert isinstance(invalid, ValidationError) and "password" in invalid.details
    assert isinstance(PoolError("CodeMismatchException", "").domain_error(), ValidationError)
    assert isinstance(PoolError("LimitExceededException", "").domain_error(), RateLimited)


def test_the_secret_hash_is_cognitos():
    # HMAC-SHA256(secret, username + client id), base64: a value computed independently.
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(b"s3cret", b"a@example.comclient", hashlib.sha256).digest()).decode()
    assert secret_hash("client", "s3cret", "a@example.com") == expected


def test_denied_consent_and_other_provider_errors_are_clear():
    assert "consent" in denied("access_denied").message
    assert "invalid_scope" in denied("invalid_scope", "bad scope").message


class FakeSession:
    """Stands in for the provider's HTTP answers (OAuth2Session.get), not for our code."""

    def __init__(self, answers):
        self.answers = answers

    def get(self, url, **kwargs):
        status, body = self.answers[url]
        return type("Answer", (), {"status_code": status, "json": lambda self: body})()


def test_github_takes_the_primary_email_and_its_verification():
    client = GitHubClient({"USERINFO_URL": "u", "EMAILS_URL": "e"})
    emails = [
        {"email": "other@example.com", "primary": False, "verified": True},
        {"email": "Main@Example.com", "primary": True, "verified": False},
    ]
    identity = client.identity(FakeSession({"u": (200, {"id": 42, "login": "octo"}), "e": (200, emails)}))
    assert (identity.subject, identity.email, identity.email_verified, identity.name) == (
        "42",
        "main@example.com",
        False,
        "octo",
    )
    with pytest.raises(Unauthorized):
        client.identity(FakeSession({"u": (200, {"id": 42}), "e": (200, emails[:1])}))
    with pytest.raises(Unauthorized):
        client.identity(FakeSession({"u": (401, {"message": "Bad credentials"}), "e": (200, [])}))


def test_google_reads_sub_email_and_email_verified():
    client = GoogleClient({"USERINFO_URL": "u"})
    info = {"sub": "9", "email": "g@example.com", "email_verified": False, "name": "G"}
    identity = client.identity(FakeSession({"u": (200, info)}))
    assert (identity.subject, identity.email_verified) == ("9", False)


def test_a_provider_without_a_client_id_is_not_configured():
    from common.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        GoogleClient({"AUTHORIZE_URL": "https://a.example", "TOKEN_URL": "https://t.example"}).ensure_configured()
