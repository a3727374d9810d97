"""Cognito's hosted UI, end to end over HTTP through the gateway (real RabbitMQ and PostgreSQL).

The hosted UI's authorize, token and JWKS endpoints are a local stand-in holding a key the test made.
"""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.test_account_flow import ADMIN, account_of, assert_error, create_admin, register
from tests.e2e.test_sso_oauth import sign_in as oauth_sign_in
from tests.e2e.test_users import make_user
from tests.support.sso_fixtures import (
    allow_plain_http,
    cognito,
    follow_provider,
    github,
    google,
    sso_config,
    visit_provider,
)
from tests.support.sso_standins import make_rsa_key

__all__ = ["cognito", "github", "google"]  # fixtures


@pytest.fixture
def platform_config(platform_config, cognito, google, github, monkeypatch):
    allow_plain_http(monkeypatch)
    return sso_config(platform_config, cognito, google, github)


ALICE = {"sub": "7d3c1a52-0000-4000-8000-00000000a11c", "email": "Alice@Example.com", "name": "Alice Cog"}
BOB = {"sub": "7d3c1a52-0000-4000-8000-000000000b0b", "email": "bob@example.com", "name": "Bob Cog"}


def start_sign_in(api, path="/auth/login-url"):
    response = api.get(path)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def sign_in(api, cognito, account=ALICE):
    cognito.sign_in_as(**account)
    location, query = visit_provider(start_sign_in(api)["login_url"])
    return api.session.get(location, timeout=30), query


def test_hosted_ui_round_trip_to_platform_tokens_user_info_and_refresh(api, platform, cognito):
    started = start_sign_in(api, "/auth/sso/login")
    assert started["login_url"].startswith(f"{cognito.base_url}/oauth2/authorize?")
    assert f"state={started['state']}" in started["login_url"]
    assert "code_challenge_method=S256" in started["login_url"] and "code_challenge=" in started["login_url"]
    assert f"client_id={cognito.client_id}" in started["login_url"]

    cognito.sign_in_as(**ALICE)
    location, query = visit_provider(started["login_url"])
    assert location.startswith(platform["AUTH"]["COGNITO"]["REDIRECT_URI"])
    assert query["state"] == started["state"]

    # The browser lands on the gateway's callback with the code.
    response = api.session.get(location, timeout=30)
    assert response.status_code == 200, response.text
    tokens = response.json()["data"]
    assert tokens["token_type"] == "bearer" and tokens["provider"] == "cognito" and tokens["first_sign_in"] is True
    user = tokens["user"]
    assert user["email"] == "alice@example.com" and user["name"] == "Alice Cog"
    assert user["provider"] == "cognito" and user["provider_id"] == ALICE["sub"]
    assert user["status"] == "active" and user["roles"] == ["learner"]
    # The code went back with the PKCE verifier and the client's secret.
    exchange = cognito.token_requests[-1]
    assert exchange["code"] == query["code"] and exchange["code_verifier"]

    # The platform's own access token works on the platform.
    info = api.get("/auth/sso/user-info", token=tokens["access_token"])
    assert info.status_code == 200, info.text
    assert info.json()["data"]["user"]["id"] == user["id"]
    assert info.json()["data"]["identities"] == [
        {
            "provider": "cognito",
            "subject": ALICE["sub"],
            "email": "alice@example.com",
            "linked_at": info.json()["data"]["identities"][0]["linked_at"],
        }
    ]
    assert api.get("/users/profile", token=tokens["access_token"]).json()["data"]["id"] == user["id"]
    assert_error(api.get("/auth/sso/user-info"), 401, "UNAUTHORIZED")

    refreshed = api.post("/auth/sso/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["data"]["refresh_token"] != tokens["refresh_token"]
    assert api.get("/auth/sso/user-info", token=refreshed.json()["data"]["access_token"]).status_code == 200
    # Rotation: the spent refresh token does not work twice.
    assert_error(api.post("/auth/sso/refresh", json={"refresh_token": tokens["refresh_token"]}), 401, "UNAUTHORIZED")

    # The second sign-in finds the same user, linked by the sub.
    again, _ = sign_in(api, cognito, {**ALICE, "email": "alice.new@example.com"})
    assert again.status_code == 200, again.text
    assert again.json()["data"]["user"]["id"] == user["id"] and again.json()["data"]["first_sign_in"] is False


def logout_query(started):
    parts = urlsplit(started["logout_url"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {
        key: values[0] for key, values in parse_qs(parts.query).items()
    }


def test_the_logout_url_signs_out_and_back_in_with_a_fresh_state_each_time(api, platform, cognito):
    started = [start_sign_in(api, path) for path in ("/auth/logout-url", "/auth/sso/logout", "/auth/logout-url")]
    states = [item["state"] for item in started]
    assert len(set(states)) == 3 and all(len(state) >= 32 for state in states)
    for item in started:
        endpoint, query = logout_query(item)
        assert endpoint == f"{cognito.base_url}/logout"
        # Cognito's sign-in-again form of /logout: what /login needs, and our state.
        assert query == {
            "client_id": cognito.client_id,
            "redirect_uri": platform["AUTH"]["COGNITO"]["REDIRECT_URI"],
            "response_type": "code",
            "scope": "openid email profile",
            "state": item["state"],
        }
        assert item["provider"] == "cognito" and item["expires_in"] == 600
        # The form that only signs out, to the configured sign-out page, is there too.
        assert item["sign_out_url"] == (
            f"{cognito.base_url}/logout?client_id={cognito.client_id}&logout_uri=http%3A%2F%2Fapp.example%2Fsigned-out"
        )
    chosen = api.get("/auth/logout-url", params={"redirect_uri": "http://app.example/after-sign-in"})
    assert chosen.status_code == 200, chosen.text
    assert logout_query(chosen.json()["data"])[1]["redirect_uri"] == "http://app.example/after-sign-in"
    assert_error(api.get("/auth/logout-url", params={"redirect_uri": ""}), 400, "VALIDATION_ERROR")


def test_logout_then_sign_in_again_then_callback_round_trip(api, platform, cognito):
    first, _ = sign_in(api, cognito)
    assert first.status_code == 200, first.text
    tokens = first.json()["data"]

    started = start_sign_in(api, "/auth/sso/logout")
    # The client ends its platform session too.
    revoked = api.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}, token=tokens["access_token"])
    assert revoked.status_code == 200, revoked.text
    assert_error(api.post("/auth/sso/refresh", json={"refresh_token": tokens["refresh_token"]}), 401, "UNAUTHORIZED")

    # The browser at the hosted UI: /logout ends the Cognito session and sends it on to /login with our state;
    # the user signs in again and the hosted UI sends the browser to the callback with a code.
    cognito.sign_in_as(**ALICE)
    location, query = follow_provider(started["logout_url"], cognito)
    assert cognito.sign_outs == 1
    assert location.startswith(platform["AUTH"]["COGNITO"]["REDIRECT_URI"] + "?")
    assert query["state"] == started["state"] and query["code"]

    again = api.session.get(location, timeout=30)
    assert again.status_code == 200, again.text
    data = again.json()["data"]
    assert data["user"]["id"] == tokens["user"]["id"] and data["first_sign_in"] is False
    # /logout passes no PKCE challenge on to /login, so the code went back without a verifier, with the secret.
    exchange = cognito.token_requests[-1]
    assert exchange["code"] == query["code"] and "code_verifier" not in exchange
    info = api.get("/auth/sso/user-info", token=data["access_token"])
    assert info.status_code == 200 and info.json()["data"]["user"]["id"] == tokens["user"]["id"]
    refreshed = api.post("/auth/sso/refresh", json={"refresh_token": data["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text

    # The logout's state is spent like any other.
    assert_error(api.session.get(location, timeout=30), 401, "UNAUTHORIZED")


def test_a_forged_state_is_refused(api, platform, cognito):
    cognito.sign_in_as(**ALICE)
    _, query = visit_provider(start_sign_in(api)["login_url"])
    forged = api.get("/auth/sso/callback", params={"code": query["code"], "state": "forged-state"})
    assert_error(forged, 401, "UNAUTHORIZED")
    assert_error(api.get("/auth/sso/callback", params={"code": query["code"]}), 401, "UNAUTHORIZED")
    assert cognito.token_requests == []  # the code never reached the token endpoint


def test_a_replayed_code_is_refused(api, platform, cognito):
    first, query = sign_in(api, cognito)
    assert first.status_code == 200, first.text
    # The same callback again: the state is spent.
    replay = api.get("/auth/sso/callback", params={"code": query["code"], "state": query["state"]})
    assert_error(replay, 401, "UNAUTHORIZED")
    # The old code with a fresh state: the hosted UI refuses the spent code.
    fresh = start_sign_in(api)
    replay = api.get("/auth/sso/callback", params={"code": query["code"], "state": fresh["state"]})
    assert_error(replay, 401, "UNAUTHORIZED")
    assert "authorization code" in replay.json()["error"]["message"]


def test_an_id_token_signed_by_another_key_is_refused(api, platform, cognito):
    first, _ = sign_in(api, cognito)
    assert first.status_code == 200, first.text
    assert cognito.jwks_requests == 1
    # A key the pool's JWKS does not hold: the cached JWKS is fetched again for the unknown kid, in vain.
    cognito.next_id_token(key=make_rsa_key(), kid="attacker-key")
    response, _ = sign_in(api, cognito, BOB)
    assert_error(response, 401, "UNAUTHORIZED")
    assert cognito.jwks_requests == 2
    # Another key that claims the pool's kid: the signature does not verify.
    cognito.next_id_token(key=make_rsa_key())
    response, _ = sign_in(api, cognito, BOB)
    assert_error(response, 401, "UNAUTHORIZED")
    # Bob was not created on the way: his first real sign-in is a first sign-in.
    ok, _ = sign_in(api, cognito, BOB)
    assert ok.status_code == 200 and ok.json()["data"]["first_sign_in"] is True


def test_a_rotated_pool_key_is_fetched_on_its_first_use(api, platform, cognito):
    assert sign_in(api, cognito)[0].status_code == 200
    cognito.rotate_key()
    response, _ = sign_in(api, cognito)
    assert response.status_code == 200, response.text
    assert cognito.jwks_requests == 2


def test_an_expired_id_token_is_refused(api, platform, cognito):
    cognito.next_id_token(expired=True)
    response, _ = sign_in(api, cognito)
    assert_error(response, 401, "UNAUTHORIZED")
    assert "expired" in response.json()["error"]["message"]


def test_denied_consent_is_a_clear_error(api, platform, cognito):
    cognito.deny_next()
    location, query = visit_provider(start_sign_in(api)["login_url"])
    assert query["error"] == "access_denied"
    response = api.session.get(location, timeout=30)
    assert_error(response, 401, "UNAUTHORIZED")
    assert "consent" in response.json()["error"]["message"]
    assert cognito.token_requests == []


def test_a_bad_code_is_refused(api, platform, cognito):
    started = start_sign_in(api)
    response = api.get("/auth/sso/callback", params={"code": "not-a-code", "state": started["state"]})
    assert_error(response, 401, "UNAUTHORIZED")
    assert "authorization code" in response.json()["error"]["message"]


def test_an_unverified_email_of_an_existing_local_account_is_a_conflict(api, platform, cognito):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    local, _ = make_user(api, admin, "alice@example.com", "Alice Local", password="alice-password-1")

    response, _ = sign_in(api, cognito, {**ALICE, "email_verified": False})
    assert_error(response, 409, "CONFLICT")
    assert "verified" in response.json()["error"]["message"]
    alice = api.login("alice@example.com", "alice-password-1")
    assert alice["user"]["id"] == local["id"]
    assert api.get("/auth/sso/user-info", token=alice["access_token"]).json()["data"]["identities"] == []

    # Once the pool has verified the email, the same identity signs in to the existing account.
    linked, _ = sign_in(api, cognito, ALICE)
    assert linked.status_code == 200, linked.text
    assert linked.json()["data"]["user"]["id"] == local["id"] and linked.json()["data"]["first_sign_in"] is True


def test_an_unverified_email_makes_no_account_and_links_to_none(api, platform, cognito, google):
    # The pool has not verified Bob's email: no account is made with it, so none can be taken over later.
    response, _ = sign_in(api, cognito, {**BOB, "email_verified": False})
    assert_error(response, 409, "CONFLICT")
    assert "not verified" in response.json()["error"]["message"]

    # Bob, verified at Google, gets an account of his own; the unverified pool identity cannot join it.
    google_bob = {"sub": "300000000000000000003", "email": "bob@example.com", "email_verified": True, "name": "Bob G"}
    owner = oauth_sign_in(api, "google", google, google_bob)
    assert owner.status_code == 200, owner.text
    bob = owner.json()["data"]
    assert bob["first_sign_in"] is True and bob["user"]["provider"] == "google"
    response, _ = sign_in(api, cognito, {**BOB, "email_verified": False})
    assert_error(response, 409, "CONFLICT")
    info = api.get("/auth/sso/user-info", token=bob["access_token"]).json()["data"]
    assert [item["provider"] for item in info["identities"]] == ["google"]

    # Once the pool has verified the email, the pool identity is linked to Bob's account.
    linked, _ = sign_in(api, cognito, BOB)
    assert linked.status_code == 200, linked.text
    assert linked.json()["data"]["user"]["id"] == bob["user"]["id"]


def test_a_verified_hosted_ui_sign_in_confirms_a_pending_account_without_its_unproven_password(api, platform, cognito):
    registered = register(api, "alice@example.com", password="squatter-pass-1")
    assert registered.status_code == 201, registered.text
    pending = account_of(platform, "alice@example.com")
    squatter = {"identifier": "alice@example.com", "password": "squatter-pass-1"}
    assert_error(api.post("/auth/login", json=squatter), 403, "FORBIDDEN")

    response, _ = sign_in(api, cognito, ALICE)  # the pool verified the email
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["user"]["id"] == pending["id"] and data["user"]["status"] == "active"
    assert data["first_sign_in"] is True
    assert api.get("/users/profile", token=data["access_token"]).json()["data"]["status"] == "active"
    # The password typed at registration by someone who never proved the email no longer signs in.
    assert_error(api.post("/auth/login", json=squatter), 401, "UNAUTHORIZED")
