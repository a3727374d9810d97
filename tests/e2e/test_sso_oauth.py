"""Google and GitHub sign-in, end to end over HTTP through the gateway (real RabbitMQ and PostgreSQL).

The providers' authorize, token, userinfo and emails endpoints are local stand-ins that answer as
Google and GitHub do (GitHub: the verified primary email from /user/emails; a bad code is 200 + error).
"""

import pytest

from common import events
from tests.e2e.test_account_flow import ADMIN, account_of, assert_error, create_admin, register
from tests.e2e.test_users import make_user
from tests.support.sso_fixtures import allow_plain_http, cognito, github, google, sso_config, visit_provider

__all__ = ["cognito", "github", "google"]  # fixtures


@pytest.fixture
def platform_config(platform_config, cognito, google, github, monkeypatch):
    allow_plain_http(monkeypatch)
    return sso_config(platform_config, cognito, google, github)


GOOGLE_GRACE = {"sub": "108234567890123456789", "email": "grace@example.com", "email_verified": True, "name": "Grace H"}
GITHUB_LINUS = {
    "id": 1024025,
    "login": "linus",
    "name": "Linus T",
    "emails": [
        {"email": "old@example.com", "primary": False, "verified": True, "visibility": None},
        {"email": "Linus@Example.com", "primary": True, "verified": True, "visibility": "public"},
    ],
}


def authorize(api, provider, standin, account):
    """GET the platform's authorization URL, sign in at the provider; the code and state the app receives."""
    response = api.get(f"/auth/oauth/{provider}/login")
    assert response.status_code == 200, response.text
    started = response.json()["data"]
    assert started["url"].startswith(standin.base_url) and f"state={started['state']}" in started["url"]
    assert "code_challenge_method=S256" in started["url"]
    if account is None:
        standin.deny_next()
    else:
        standin.sign_in_as(**account)
    _, query = visit_provider(started["url"])
    assert query["state"] == started["state"]
    return query


def sign_in(api, provider, standin, account):
    query = authorize(api, provider, standin, account)
    redirect_uri = f"http://app.example/oauth/{provider}"
    return api.post(
        f"/auth/{provider}", json={"code": query["code"], "state": query["state"], "redirect_uri": redirect_uri}
    )


def test_google_first_sign_in_creates_the_user_and_the_second_finds_it(api, platform, google):
    first = sign_in(api, "google", google, GOOGLE_GRACE)
    assert first.status_code == 200, first.text
    data = first.json()["data"]
    user = data["user"]
    assert data["first_sign_in"] is True and data["provider"] == "google"
    assert user["email"] == "grace@example.com" and user["name"] == "Grace H" and user["status"] == "active"
    assert user["provider"] == "google" and user["provider_id"] == GOOGLE_GRACE["sub"]
    assert google.token_requests[-1]["code_verifier"]  # PKCE travelled with the code

    profile = api.get("/users/profile", token=data["access_token"])
    assert profile.status_code == 200 and profile.json()["data"]["id"] == user["id"]

    # Google reports a changed email: the account is found by the subject, not by the email.
    second = sign_in(api, "google", google, {**GOOGLE_GRACE, "email": "grace.new@example.com"})
    assert second.status_code == 200, second.text
    assert second.json()["data"]["user"]["id"] == user["id"] and second.json()["data"]["first_sign_in"] is False
    refreshed = api.post("/auth/refresh", json={"refresh_token": second.json()["data"]["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text


def test_github_first_sign_in_uses_the_verified_primary_email_and_the_second_finds_it(api, platform, github):
    first = sign_in(api, "github", github, GITHUB_LINUS)
    assert first.status_code == 200, first.text
    user = first.json()["data"]["user"]
    assert user["email"] == "linus@example.com" and user["name"] == "Linus T"
    assert user["provider"] == "github" and user["provider_id"] == "1024025"
    second = sign_in(api, "github", github, GITHUB_LINUS)
    assert second.status_code == 200, second.text
    assert second.json()["data"]["user"]["id"] == user["id"] and second.json()["data"]["first_sign_in"] is False


def test_a_local_account_is_linked_only_when_the_provider_verified_the_email(api, platform, google, github):
    standins = {"google": google, "github": github}
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    local, _ = make_user(api, admin, "grace@example.com", "Grace Local", password="grace-password-1")
    other, _ = make_user(api, admin, "linus@example.com", "Linus Local", password="linus-password-1")

    # GitHub has not verified Linus's primary email: no link, a clear 409, and nothing is linked.
    unverified = {**GITHUB_LINUS, "emails": [{"email": "linus@example.com", "primary": True, "verified": False}]}
    refused = sign_in(api, "github", standins["github"], unverified)
    assert_error(refused, 409, "CONFLICT")
    assert "verified" in refused.json()["error"]["message"]
    linus = api.login("linus@example.com", "linus-password-1")
    assert api.get("/auth/sso/user-info", token=linus["access_token"]).json()["data"]["identities"] == []

    # Google says Grace's email is verified: the Google identity signs in to her existing account.
    linked = sign_in(api, "google", standins["google"], GOOGLE_GRACE)
    assert linked.status_code == 200, linked.text
    assert linked.json()["data"]["user"]["id"] == local["id"]
    info = api.get("/auth/sso/user-info", token=linked.json()["data"]["access_token"]).json()["data"]
    assert [(item["provider"], item["subject"]) for item in info["identities"]] == [("google", GOOGLE_GRACE["sub"])]
    # Her password still works, and the next Google sign-in finds the same account.
    assert api.login("grace@example.com", "grace-password-1")["user"]["id"] == local["id"]
    again = sign_in(api, "google", standins["google"], GOOGLE_GRACE)
    assert again.json()["data"]["user"]["id"] == local["id"]
    assert other["id"] != local["id"]

    # Google with an unverified email for an existing account: 409 as well.
    stranger = {"sub": "999", "email": "linus@example.com", "email_verified": False, "name": "Not Linus"}
    assert_error(sign_in(api, "google", standins["google"], stranger), 409, "CONFLICT")


def test_an_unverified_email_makes_no_account_so_its_owner_is_never_linked_into_one(api, platform, google, github):
    # Someone signs in with Google and GitHub accounts that claim Ada's address, which neither has verified.
    not_ada_google = {"sub": "555000111", "email": "ada@example.com", "email_verified": False, "name": "Not Ada"}
    not_ada_github = {
        "id": 4242,
        "login": "not-ada",
        "name": "Not Ada",
        "emails": [{"email": "Ada@Example.com", "primary": True, "verified": False}],
    }
    for provider, standin, account in (("google", google, not_ada_google), ("github", github, not_ada_github)):
        refused = sign_in(api, provider, standin, account)
        assert_error(refused, 409, "CONFLICT")
        assert "not verified" in refused.json()["error"]["message"]

    # Ada herself, verified at GitHub: her own new account (had an account been made above, she would have
    # been linked into it, and it would still answer to the unverified Google identity).
    ada = {
        "id": 9001,
        "login": "ada",
        "name": "Ada L",
        "emails": [{"email": "ada@example.com", "primary": True, "verified": True}],
    }
    owner = sign_in(api, "github", github, ada)
    assert owner.status_code == 200, owner.text
    data = owner.json()["data"]
    assert data["first_sign_in"] is True
    assert (data["user"]["provider"], data["user"]["provider_id"], data["user"]["email"]) == (
        "github",
        "9001",
        "ada@example.com",
    )
    info = api.get("/auth/sso/user-info", token=data["access_token"]).json()["data"]
    assert [(item["provider"], item["subject"]) for item in info["identities"]] == [("github", "9001")]

    # The unverified identities still cannot get in: her account is not theirs to link.
    for provider, standin, account in (("google", google, not_ada_google), ("github", github, not_ada_github)):
        assert_error(sign_in(api, provider, standin, account), 409, "CONFLICT")
    again = sign_in(api, "github", github, ada)
    assert again.status_code == 200 and again.json()["data"]["user"]["id"] == data["user"]["id"]


def test_a_verified_sign_in_confirms_a_pending_account_and_its_unproven_password_stops_working(
    api, platform, google, event_tap
):
    users_tap, auth_tap = event_tap("users"), event_tap("auth")
    # Someone registers Grace's email with a password of their own; the code goes to Grace, so it stays pending.
    registered = register(api, "grace@example.com", password="squatter-pass-1")
    assert registered.status_code == 201, registered.text
    pending = account_of(platform, "grace@example.com")
    assert pending["status"] == "pending"
    code = users_tap.wait_for(events.USER_REGISTERED, email="grace@example.com")["metadata"]["confirmation_code"]
    squatter = {"identifier": "grace@example.com", "password": "squatter-pass-1"}
    assert_error(api.post("/auth/login", json=squatter), 403, "FORBIDDEN")

    # An unverified email does not claim it either.
    unverified = sign_in(api, "google", google, {**GOOGLE_GRACE, "email_verified": False})
    assert_error(unverified, 409, "CONFLICT")

    # Grace signs in with Google, which verified the email: that proves the address is hers.
    signed_in = sign_in(api, "google", google, GOOGLE_GRACE)
    assert signed_in.status_code == 200, signed_in.text
    data = signed_in.json()["data"]
    assert data["user"]["id"] == pending["id"] and data["user"]["status"] == "active"
    assert data["first_sign_in"] is True
    confirmed = users_tap.wait_for(events.USER_CONFIRMED, user_id=pending["id"])
    assert confirmed["metadata"]["provider"] == "google"
    dropped = auth_tap.wait_for(events.PASSWORD_CHANGED, user_id=pending["id"])
    assert dropped["metadata"]["reason"] == "unconfirmed_sso_claim"
    info = api.get("/auth/sso/user-info", token=data["access_token"]).json()["data"]
    assert [(item["provider"], item["subject"]) for item in info["identities"]] == [("google", GOOGLE_GRACE["sub"])]

    # The password chosen by whoever registered is gone, and their unspent code confirms nothing.
    assert_error(api.post("/auth/login", json=squatter), 401, "UNAUTHORIZED")
    assert_error(
        api.post("/users/confirm-registration", json={"email": "grace@example.com", "code": code}),
        400,
        "VALIDATION_ERROR",
    )
    # Grace signs in again with Google, refreshes, and sets a password of her own (the code goes to her email).
    again = sign_in(api, "google", google, GOOGLE_GRACE)
    assert again.status_code == 200, again.text
    assert again.json()["data"]["user"]["id"] == pending["id"] and again.json()["data"]["first_sign_in"] is False
    assert api.post("/auth/refresh", json={"refresh_token": again.json()["data"]["refresh_token"]}).status_code == 200
    assert api.post("/auth/forgot-password", json={"identifier": "grace@example.com"}).status_code == 200
    reset_code = auth_tap.wait_for(events.PASSWORD_RESET_REQUESTED, email="grace@example.com")["metadata"]["code"]
    reset = api.post(
        "/auth/confirm-forgot-password",
        json={"identifier": "grace@example.com", "code": reset_code, "new_password": "grace-own-pass-1"},
    )
    assert reset.status_code == 200, reset.text
    assert api.login("grace@example.com", "grace-own-pass-1")["user"]["id"] == pending["id"]
    assert_error(api.post("/auth/login", json=squatter), 401, "UNAUTHORIZED")


def test_denied_consent_a_bad_code_and_a_foreign_state_are_clear_errors(api, platform, google, github):
    standins = {"google": google, "github": github}
    # The user said no at the provider: the app passes the error on with the state.
    for provider in ("google", "github"):
        query = authorize(api, provider, standins[provider], None)
        assert query["error"] == "access_denied"
        denied = api.post(f"/auth/{provider}", json={"state": query["state"], "error": query["error"]})
        assert_error(denied, 401, "UNAUTHORIZED")
        assert "consent" in denied.json()["error"]["message"]
        # The state was spent by the refusal: it cannot finish a sign-in later.
        again = api.post(f"/auth/{provider}", json={"state": query["state"], "code": "any-code"})
        assert_error(again, 401, "UNAUTHORIZED")
    assert google.token_requests == [] and github.token_requests == []

    # A code the provider does not know (Google: 400 invalid_grant; GitHub: 200 with an error body).
    for provider in ("google", "github"):
        account = GOOGLE_GRACE if provider == "google" else GITHUB_LINUS
        query = authorize(api, provider, standins[provider], account)
        bad = api.post(f"/auth/{provider}", json={"code": "not-a-code", "state": query["state"]})
        assert_error(bad, 401, "UNAUTHORIZED")
        assert "authorization code" in bad.json()["error"]["message"]

    # A state issued for Google does not finish a GitHub sign-in; an unknown state finishes nothing.
    query = authorize(api, "google", standins["google"], GOOGLE_GRACE)
    assert_error(api.post("/auth/github", json={"code": query["code"], "state": query["state"]}), 401, "UNAUTHORIZED")
    assert_error(api.post("/auth/google", json={"code": query["code"], "state": "made-up"}), 401, "UNAUTHORIZED")
    assert_error(api.get("/auth/oauth/gitlab/login"), 400, "VALIDATION_ERROR")
