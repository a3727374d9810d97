"""Concurrent first sign-ins of one brand-new outside identity, over real concurrent HTTP requests.

Several sign-ins of the same new Google, GitHub or Cognito identity are started one after another (each has
its own state and code), then finished at once. The provider's stand-in holds its last answer (Google's
userinfo, GitHub's emails, Cognito's token endpoint) until every sign-in is waiting on it, so all of them
reach the platform's "is this identity linked yet?" step together. The databases must settle it: exactly
one profile, one linked identity and one USER_REGISTERED event, and every request signs in to that user.
"""

import eventlet
import pytest
import requests
from sqlalchemy import create_engine, text

from common import events
from tests.e2e.test_account_flow import account_of, assert_error, register
from tests.support.sso_fixtures import allow_plain_http, cognito, github, google, sso_config, visit_provider

__all__ = ["cognito", "github", "google"]  # fixtures

SIGN_INS = 4


@pytest.fixture
def platform_config(platform_config, cognito, google, github, monkeypatch):
    allow_plain_http(monkeypatch)
    return sso_config(platform_config, cognito, google, github)


def rows(platform, service, query, **params):
    engine = create_engine(platform["DB_URIS"][f"{service}:Base"])
    try:
        with engine.connect() as conn:
            return conn.execute(text(query), params).all()
    finally:
        engine.dispose()


def at_once(calls):
    """Run the calls concurrently (each with its own HTTP connection); their responses, in order."""
    pool = eventlet.GreenPool(len(calls))
    return list(pool.imap(lambda call: call(), calls))


def finish_oauth(base_url, provider, query):
    def call():
        body = {"code": query["code"], "state": query["state"]}
        return requests.post(f"{base_url}/auth/{provider}", json=body, timeout=30)

    return call


def finish_callback(location):
    return lambda: requests.get(location, timeout=30)


def start_oauth(api, provider, standin, account):
    started = api.get(f"/auth/oauth/{provider}/login")
    assert started.status_code == 200, started.text
    standin.sign_in_as(**account)
    _, query = visit_provider(started.json()["data"]["url"])
    return query


def start_cognito(api, standin, account):
    started = api.get("/auth/login-url")
    assert started.status_code == 200, started.text
    standin.sign_in_as(**account)
    location, _ = visit_provider(started.json()["data"]["login_url"])
    return location


CASES = {
    "google": (
        "/v1/userinfo",
        {"sub": "200000000000000000001", "email": "Nova@Example.com", "email_verified": True, "name": "Nova"},
        "200000000000000000001",
    ),
    "github": (
        "/user/emails",
        {
            "id": 7770001,
            "login": "nova",
            "name": "Nova",
            "emails": [{"email": "nova@example.com", "primary": True, "verified": True}],
        },
        "7770001",
    ),
    "cognito": (
        "/oauth2/token",
        {"sub": "c0ffee00-0000-4000-8000-00000000n0va", "email": "nova@example.com", "name": "Nova"},
        "c0ffee00-0000-4000-8000-00000000n0va",
    ),
}


@pytest.mark.parametrize("provider", sorted(CASES))
def test_concurrent_first_sign_ins_of_one_new_identity_create_one_user(
    provider, api, platform, cognito, google, github, event_tap
):
    standin = {"google": google, "github": github, "cognito": cognito}[provider]
    held_path, account, subject = CASES[provider]
    tap = event_tap("users")
    if provider == "cognito":
        calls = [finish_callback(start_cognito(api, standin, account)) for _ in range(SIGN_INS)]
    else:
        calls = [
            finish_oauth(api.base_url, provider, start_oauth(api, provider, standin, account)) for _ in range(SIGN_INS)
        ]
    standin.hold(held_path, SIGN_INS)

    responses = at_once(calls)
    assert standin.all_held_together(held_path)

    assert [response.status_code for response in responses] == [200] * SIGN_INS, [r.text for r in responses]
    answers = [response.json()["data"] for response in responses]
    user_ids = {answer["user"]["id"] for answer in answers}
    assert len(user_ids) == 1
    # Exactly one of them made the user; the others signed in to it.
    assert sorted(answer["first_sign_in"] for answer in answers) == [False] * (SIGN_INS - 1) + [True]
    for answer in answers:
        assert answer["user"]["email"] == "nova@example.com"
        assert (answer["user"]["provider"], answer["user"]["provider_id"]) == (provider, subject)
        info = api.get("/auth/sso/user-info", token=answer["access_token"])
        assert info.status_code == 200 and info.json()["data"]["user"]["id"] in user_ids

    (user_id,) = user_ids
    profiles = rows(
        platform, "users", "SELECT id, provider, provider_id FROM users WHERE email = :e", e="nova@example.com"
    )
    assert [(str(row.id), row.provider, row.provider_id) for row in profiles] == [(user_id, provider, subject)]
    links = rows(
        platform,
        "auth",
        "SELECT user_id FROM linked_identities WHERE provider = :p AND subject = :s",
        p=provider,
        s=subject,
    )
    assert [str(row.user_id) for row in links] == [user_id]
    assert len(rows(platform, "auth", "SELECT 1 FROM credentials WHERE user_id = :u", u=user_id)) == 1

    # One USER_REGISTERED, however many sign-ins raced.
    registered = tap.wait_for(events.USER_REGISTERED, email="nova@example.com")
    assert registered["user_id"] == user_id
    eventlet.sleep(1)
    later = []
    while not tap.received.empty():
        later.append(tap.received.get())
    assert [event for event in later if event["event_type"] == events.USER_REGISTERED] == []

    # The next sign-in of the identity is an ordinary one.
    if provider == "cognito":
        again = finish_callback(start_cognito(api, standin, account))()
    else:
        again = finish_oauth(api.base_url, provider, start_oauth(api, provider, standin, account))()
    assert again.status_code == 200, again.text
    assert again.json()["data"]["user"]["id"] == user_id and again.json()["data"]["first_sign_in"] is False


def test_concurrent_verified_sign_ins_confirm_a_pending_account_once(api, platform, google, event_tap):
    users_tap, auth_tap = event_tap("users"), event_tap("auth")
    registered = register(api, "nova@example.com", password="squatter-pass-1")
    assert registered.status_code == 201, registered.text
    pending_id = account_of(platform, "nova@example.com")["id"]
    held_path, account, subject = CASES["google"]
    calls = [finish_oauth(api.base_url, "google", start_oauth(api, "google", google, account)) for _ in range(SIGN_INS)]
    google.hold(held_path, SIGN_INS)

    responses = at_once(calls)
    assert google.all_held_together(held_path)

    assert [response.status_code for response in responses] == [200] * SIGN_INS, [r.text for r in responses]
    answers = [response.json()["data"] for response in responses]
    assert {answer["user"]["id"] for answer in answers} == {pending_id}
    assert {answer["user"]["status"] for answer in answers} == {"active"}
    assert sorted(answer["first_sign_in"] for answer in answers) == [False] * (SIGN_INS - 1) + [True]

    profiles = rows(platform, "users", "SELECT id, status FROM users WHERE email = :e", e="nova@example.com")
    assert [(str(row.id), row.status) for row in profiles] == [(pending_id, "active")]
    links = rows(
        platform, "auth", "SELECT user_id FROM linked_identities WHERE provider = 'google' AND subject = :s", s=subject
    )
    assert [str(row.user_id) for row in links] == [pending_id]
    hashes = rows(platform, "auth", "SELECT password_hash FROM credentials WHERE user_id = :u", u=pending_id)
    assert [row.password_hash for row in hashes] == [None]
    assert_error(
        requests.post(
            f"{api.base_url}/auth/login",
            json={"identifier": "nova@example.com", "password": "squatter-pass-1"},
            timeout=30,
        ),
        401,
        "UNAUTHORIZED",
    )

    # One confirmation and one dropped password, however many sign-ins raced.
    assert users_tap.wait_for(events.USER_CONFIRMED, user_id=pending_id)["metadata"]["provider"] == "google"
    assert (
        auth_tap.wait_for(events.PASSWORD_CHANGED, user_id=pending_id)["metadata"]["reason"] == "unconfirmed_sso_claim"
    )
    eventlet.sleep(1)
    for tap, event_type in ((users_tap, events.USER_CONFIRMED), (auth_tap, events.PASSWORD_CHANGED)):
        later = []
        while not tap.received.empty():
            later.append(tap.received.get())
        assert [event for event in later if event["event_type"] == event_type] == []
