"""Abuse resistance over HTTP through the gateway, on real RabbitMQ and PostgreSQL: registration that tells nobody
whether an address has an account, a login lockout nobody can turn against an owner, Retry-After on every 429,
and the password policy on every path that sets a password."""

import time
import uuid

import pytest

from common import events
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.support.api import ApiClient

CLIENT_IP_HEADER = "X-Forwarded-For"


@pytest.fixture
def proxied_api(runner_factory, platform_config):
    """The platform behind a (pretend) proxy: the client's address comes in X-Forwarded-For, as configured by
    GATEWAY.CLIENT_IP_HEADER, so a test can speak from several addresses."""
    platform_config["GATEWAY"]["CLIENT_IP_HEADER"] = CLIENT_IP_HEADER
    from tests.conftest import all_service_classes

    runner_factory(platform_config, *all_service_classes()).start()
    with ApiClient(f"http://{platform_config['WEB_SERVER_ADDRESS']}") as client:
        yield client


def from_address(address):
    return {CLIENT_IP_HEADER: address}


def body_without_timestamp(response):
    body = response.json()
    return {key: value for key, value in body.items() if key != "timestamp"}


def test_registering_a_taken_or_a_free_email_answers_alike_and_tells_the_owner(api, platform, event_tap):
    users_tap = event_tap("users")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    owner = api.post(
        "/users",
        token=admin,
        json={"email": "tess@example.com", "username": "tess", "name": "Tess", "password": "tess-password-1"},
    ).json()["data"]

    taken = api.post("/users/register", json={"email": "Tess@Example.com", "password": "someone-else-1"})
    free = api.post("/users/register", json={"email": "new@example.com", "password": "someone-else-1"})
    assert (taken.status_code, body_without_timestamp(taken)) == (free.status_code, body_without_timestamp(free))
    assert free.status_code == 201 and free.json()["data"] == {"message": "Check your email for the confirmation code"}
    # /auth/signup is the same registration: the same answer again, for a taken username too.
    for body in (
        {"email": "tess@example.com", "password": "someone-else-1"},
        {"email": "fresh@example.com", "username": "tess", "password": "someone-else-1"},
    ):
        assert body_without_timestamp(api.post("/auth/signup", json=body)) == body_without_timestamp(free)

    # The owner's account is untouched and still hers; the free address got its code.
    assert api.login("tess@example.com", "tess-password-1")["user"]["id"] == owner["id"]
    assert users_tap.wait_for(events.USER_REGISTERED, email="new@example.com")["metadata"]["confirmation_code"]
    # The owner is told by email instead ("someone tried to register with your address").
    notice = users_tap.wait_for(events.REGISTRATION_ATTEMPTED, user_id=owner["id"])
    assert notice["metadata"] == {"email": "tess@example.com", "reason": "email_taken"}
    sent = wait_for_delivery(api, admin, owner["id"], "Someone tried to register with your address")
    assert sent["address"] == "tess@example.com" and sent["status"] == "sent"
    # A taken username with a free email: the address given is told to pick another username.
    other = users_tap.wait_for(events.REGISTRATION_ATTEMPTED, email="fresh@example.com")
    assert other["metadata"]["reason"] == "username_taken" and other["user_id"] != owner["id"]
    sent = wait_for_delivery(api, admin, other["user_id"], "Your registration was not completed")
    assert sent["address"] == "fresh@example.com"
    # No account was made for either attempt.
    for email in ("tess@example.com", "fresh@example.com"):
        found = api.get("/users", token=admin, params={"q": email}).json()["data"]
        assert found["total"] == (1 if email == "tess@example.com" else 0)


def wait_for_delivery(api, admin, user_id, subject, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        items = api.get("/notifications/deliveries", token=admin, params={"user_id": user_id, "page_size": 100}).json()[
            "data"
        ]["items"]
        matching = [item for item in items if item.get("subject") == subject and item.get("channel") == "email"]
        if matching:
            return matching[0]
        assert time.monotonic() < deadline, items
        time.sleep(0.2)


def test_failed_logins_from_one_address_never_lock_the_owner_out_of_another(proxied_api, platform_config):
    api = proxied_api
    create_admin(platform_config)
    admin = api.login(*ADMIN)["access_token"]
    api.post("/users", token=admin, json={"email": "opal@example.com", "name": "Opal", "password": "opal-password-1"})
    attacker, owner = from_address("203.0.113.7"), from_address("198.51.100.20")
    wrong = {"identifier": "opal@example.com", "password": "not-her-password"}

    answers = [api.post("/auth/login", json=wrong, headers=attacker) for _ in range(8)]
    # Five failures (auth.max_failed_logins) lock this address out of this account; the gateway's own rate limit
    # (30 a minute per address) has not stepped in: the 429s are the lockout's.
    assert [answer.status_code for answer in answers] == [401] * 5 + [429] * 3, [a.text for a in answers]
    for locked in answers[5:]:
        assert_error(locked, 429, "RATE_LIMITED")
        assert locked.json()["error"]["message"] == "Too many failed logins; try again later"
        assert 0 < int(locked.headers["Retry-After"]) <= 900
    # Even the right password is refused from that address while the lock lasts...
    right = {"identifier": "opal@example.com", "password": "opal-password-1"}
    still_locked = api.post("/auth/login", json=right, headers=attacker)
    assert_error(still_locked, 429, "RATE_LIMITED")
    assert int(still_locked.headers["Retry-After"]) > 0
    # ...but the owner, from her own address, logs in at once.
    mine = api.post("/auth/login", json=right, headers=owner)
    assert mine.status_code == 200, mine.text
    assert mine.json()["data"]["user"]["email"] == "opal@example.com"


def test_every_429_carries_retry_after(runner_factory, platform_config):
    """The gateway's rate limit, auth's lockout and a service's own limit (engagement's tracking) all answer 429
    with Retry-After (the lockout's is its time left, the limiter's the rest of its window, otherwise a minute)."""
    # The admin's login below is the first request of the window: seven in all pass the limit.
    platform_config["GATEWAY"]["RATE_LIMITS"] = {"auth": "7/60"}
    platform_config["GATEWAY"]["RATE_LIMIT_PREFIX"] = f"test-{uuid.uuid4().hex}-"
    from tests.conftest import all_service_classes

    runner_factory(platform_config, *all_service_classes()).start()
    create_admin(platform_config)
    if time.time() % 60 > 50:  # the limiter counts in fixed minutes: start the burst well inside one
        time.sleep(61 - time.time() % 60)
    with ApiClient(f"http://{platform_config['WEB_SERVER_ADDRESS']}") as api:
        admin = api.login(*ADMIN)["access_token"]
        answers = [
            api.post("/auth/login", json={"identifier": "ghost@example.com", "password": "wrong-password"})
            for _ in range(8)
        ]
        changed = api.put("/admin/settings/engagement.track_rate_limit_per_minute", token=admin, json={"value": 1})
        assert changed.status_code == 200, changed.text
        tracked = [api.post("/engagement/track", token=admin, json={"type": "page_view"}) for _ in range(3)]

    statuses = [answer.status_code for answer in answers]
    assert statuses == [401] * 5 + [429] * 3, statuses
    # The sixth is the lockout's 429, the last two the rate limiter's.
    messages = [answer.json()["error"]["message"] for answer in answers[5:]]
    assert messages == ["Too many failed logins; try again later"] + ["Too many requests; try again later"] * 2
    for answer in answers[5:]:
        assert 0 < int(answer.headers["Retry-After"]) <= 900, answer.headers
    # engagement's own limit names no time: the gateway says a minute.
    assert tracked[0].status_code in (200, 201), tracked[0].text
    limited = tracked[-1]
    assert_error(limited, 429, "RATE_LIMITED")
    assert limited.headers["Retry-After"] == "60"


def test_weak_passwords_are_refused_with_the_reason_on_every_path(api, platform, event_tap):
    auth_tap = event_tap("auth")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]

    def refused(response, reason):
        assert_error(response, 400, "VALIDATION_ERROR")
        error = response.json()["error"]
        assert reason in error["message"] + str(error["details"]), error

    # Registration and signup, the email free or taken alike.
    for path in ("/users/register", "/auth/signup"):
        refused(api.post(path, json={"email": "pia@example.com", "password": "password1"}), "10")
        refused(api.post(path, json={"email": "pia@example.com", "password": "Password1234"}), "most common")
        refused(api.post(path, json={"email": "pia@example.com", "password": "pia@example.com"}), "email or username")
        refused(
            api.post(path, json={"email": "x@example.com", "username": "piapia-123", "password": "PiaPia-123"}),
            "email or username",
        )
        refused(api.post(path, json={"email": ADMIN[0], "password": "password1234"}), "most common")
    assert api.get("/users", token=admin, params={"q": "pia"}).json()["data"]["total"] == 0

    # An admin creating a user.
    refused(
        api.post("/users", token=admin, json={"email": "pia@example.com", "name": "Pia", "password": "password1"}),
        "10",
    )
    refused(
        api.post(
            "/auth/admin/create-user",
            token=admin,
            json={"email": "pia@example.com", "name": "Pia", "password": "pia@example.com"},
        ),
        "email or username",
    )
    assert api.get("/users", token=admin, params={"q": "pia"}).json()["data"]["total"] == 0
    pia = api.post(
        "/users",
        token=admin,
        json={"email": "pia@example.com", "username": "pia-p", "name": "Pia", "password": "pia-password-1"},
    ).json()["data"]

    # Changing, resetting and an admin setting a password.
    token = api.login("pia@example.com", "pia-password-1")["access_token"]
    change = {"current_password": "pia-password-1"}
    refused(api.post("/auth/change-password", token=token, json={**change, "new_password": "password1"}), "10")
    refused(
        api.post("/auth/change-password", token=token, json={**change, "new_password": "PIA@EXAMPLE.COM"}),
        "email or username",
    )
    refused(
        api.post("/auth/admin/set-password", token=admin, json={"user_id": pia["id"], "password": "qwertyuiop"}),
        "most common",
    )
    refused(
        api.post("/auth/admin/set-password", token=admin, json={"user_id": pia["id"], "password": "pia-p-2024!"}),
        "email or username",
    )
    assert api.post("/auth/forgot-password", json={"identifier": "pia@example.com"}).status_code == 200
    code = auth_tap.wait_for(events.PASSWORD_RESET_REQUESTED, email="pia@example.com")["metadata"]["code"]
    reset = {"identifier": "pia@example.com", "code": code}
    refused(api.post("/auth/confirm-forgot-password", json={**reset, "new_password": "password1"}), "10")
    refused(api.post("/auth/confirm-forgot-password", json={**reset, "new_password": "Pia@example.com"}), "email")
    # The username is checked once the code is accepted; the refusal leaves the code usable.
    refused(api.post("/auth/confirm-forgot-password", json={**reset, "new_password": "PIA-P-1234"}), "username")
    # Nothing changed the password so far; a good one is taken, with the same code.
    assert api.login("pia@example.com", "pia-password-1")
    done = api.post("/auth/confirm-forgot-password", json={**reset, "new_password": "pia-better-pass-2"})
    assert done.status_code == 200, done.text
    assert api.login("pia@example.com", "pia-better-pass-2")
