"""Revoked access ends at once: over HTTP through the gateway, on real RabbitMQ and PostgreSQL.

Every test runs twice: with the gateway keeping revocations in Redis (the local server, a key prefix of the
test's own) and in its memory. The gateway runs in a container of its own so that it can be restarted, or
joined by a second replica, while the other services go on.
"""

import copy
import time
import uuid

import jwt
import pytest
import redis
from nameko.testing.utils import find_free_port
from sqlalchemy import create_engine, text

from common import events
from gateway.service import GatewayService
from tests.conftest import all_service_classes
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_operations import embedded  # noqa: F401 (the fixture)
from tests.support.api import ApiClient

REDIS_URL = "redis://127.0.0.1:6379/0"
WITHIN = 1.0  # seconds a revocation may take to reach the gateway


@pytest.fixture(params=["memory", "redis"])
def backend(request, platform_config):
    if request.param == "memory":
        platform_config["REDIS_URL"] = ""
        yield None
        return
    prefix = f"test-rev-{uuid.uuid4().hex}-"
    platform_config["REDIS_URL"] = REDIS_URL
    # Rate limits count in Redis too: this test's own count, not the other tests' logins from 127.0.0.1.
    platform_config["GATEWAY"] = {
        **platform_config["GATEWAY"],
        "REVOCATION_PREFIX": prefix,
        "RATE_LIMIT_PREFIX": prefix,
    }
    client = redis.Redis.from_url(REDIS_URL)
    yield lambda: sorted(key.decode() for key in client.scan_iter(f"{prefix}*"))
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


class Gateway:
    """The gateway alone in its container: restarted, or joined by another replica, as a test needs."""

    def __init__(self, container_factory, config):
        self.container_factory = container_factory
        self.config = config
        self.container = self._start(config)

    def _start(self, config):
        container = self.container_factory(GatewayService, config)
        container.start()
        return container

    def restart(self):
        self.container.stop()
        self.container = self._start(self.config)

    def replica(self):
        """A second gateway on another port: an ApiClient for it."""
        config = copy.deepcopy(self.config)
        config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{find_free_port()}"
        self._start(config)
        return ApiClient(f"http://{config['WEB_SERVER_ADDRESS']}")


@pytest.fixture
def gateway(runner_factory, container_factory, platform_config, backend):
    others = [cls for cls in all_service_classes() if cls is not GatewayService]
    runner_factory(platform_config, *others).start()
    return Gateway(container_factory, platform_config)


@pytest.fixture
def api(gateway, platform_config):
    with ApiClient(f"http://{platform_config['WEB_SERVER_ADDRESS']}") as client:
        yield client


@pytest.fixture
def admin(api, platform_config):
    create_admin(platform_config)
    return api.login(*ADMIN)["access_token"]


def make_user(api, admin, email, roles=("learner",), password="user-password-1"):
    created = api.post(
        "/users", token=admin, json={"email": email, "name": email.split("@")[0], "password": password, "roles": roles}
    )
    assert created.status_code == 201, created.text
    return created.json()["data"]["id"], password


def status_within(api, method, path, token, expected, within=WITHIN, **kwargs):
    """Ask until the answer is ``expected`` (at most ``within`` seconds); the answer."""
    deadline = time.monotonic() + within
    while True:
        response = api.request(method, path, token=token, **kwargs)
        if response.status_code == expected or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def assert_revoked(api, token, path="/users/profile", method="GET", **kwargs):
    response = status_within(api, method, path, token, 401, **kwargs)
    assert_error(response, 401, "UNAUTHORIZED")
    assert "revoked" in response.json()["error"]["message"]


def new_course(api, token):
    return api.post("/training/courses", token=token, json={"title": f"Course {uuid.uuid4().hex[:6]}"})


def test_logout_refuses_the_presented_token_at_once_and_the_session_soon(api, admin):
    make_user(api, admin, "lou@example.com")
    first = api.login("lou@example.com", "user-password-1")
    refreshed = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()["data"]
    other = api.login("lou@example.com", "user-password-1")  # another device
    for tokens in (first, refreshed, other):
        assert api.get("/users/profile", token=tokens["access_token"]).status_code == 200

    logout = api.post(
        "/auth/logout", token=refreshed["access_token"], json={"refresh_token": refreshed["refresh_token"]}
    )
    assert logout.status_code == 200, logout.text
    # The token presented is refused by the very next request, with no wait.
    assert_error(api.get("/users/profile", token=refreshed["access_token"]), 401, "UNAUTHORIZED")
    # The session's older access token goes too (its refresh token family was logged out).
    assert_revoked(api, first["access_token"])
    # Another session is not this one: it goes on, and a new login right after works.
    assert api.get("/users/profile", token=other["access_token"]).status_code == 200
    again = api.login("lou@example.com", "user-password-1")
    assert api.get("/users/profile", token=again["access_token"]).status_code == 200

    # Logging out of every session revokes every token issued until then; a login right after works.
    everywhere = api.post(
        "/auth/logout",
        token=again["access_token"],
        json={"refresh_token": again["refresh_token"], "all_sessions": True},
    )
    assert everywhere.status_code == 200, everywhere.text
    assert_revoked(api, other["access_token"])
    assert_revoked(api, again["access_token"])
    fresh = api.login("lou@example.com", "user-password-1")
    assert api.get("/users/profile", token=fresh["access_token"]).status_code == 200


def test_a_disabled_account_is_refused_at_once(api, admin):
    user_id, password = make_user(api, admin, "dee@example.com")
    token = api.login("dee@example.com", password)["access_token"]
    assert api.get("/users/profile", token=token).status_code == 200

    disabled = api.put(f"/users/{user_id}", token=admin, json={"status": "disabled"})
    assert disabled.status_code == 200, disabled.text
    assert_revoked(api, token)
    assert_error(
        api.post("/auth/login", json={"identifier": "dee@example.com", "password": password}), 403, "FORBIDDEN"
    )
    # Enabled again: a login right after works.
    assert api.put(f"/users/{user_id}", token=admin, json={"status": "active"}).status_code == 200
    again = api.login("dee@example.com", password)["access_token"]
    assert api.get("/users/profile", token=again).status_code == 200
    assert_error(api.get("/users/profile", token=token), 401, "UNAUTHORIZED")


def test_a_deleted_admin_can_no_longer_list_users_or_create_courses(api, admin):
    make_user(api, admin, "ada@example.com", roles=["admin", "instructor"])
    learner_id, password = make_user(api, admin, "del@example.com")
    other_admin = api.login("ada@example.com", "user-password-1")["access_token"]
    learner = api.login("del@example.com", password)["access_token"]
    assert api.get("/users", token=other_admin).status_code == 200
    assert new_course(api, other_admin).status_code == 201

    other_admin_id = jwt.decode(other_admin, options={"verify_signature": False})["sub"]
    assert api.delete(f"/users/{other_admin_id}", token=admin).status_code == 200
    assert api.delete(f"/users/{learner_id}", token=admin).status_code == 200
    assert_revoked(api, other_admin, path="/users")
    assert_error(new_course(api, other_admin), 401, "UNAUTHORIZED")
    assert_revoked(api, learner)
    # The admin who deleted them is not touched.
    assert api.get("/users", token=admin).status_code == 200


def test_an_instructor_demoted_to_learner_can_no_longer_create_courses(api, admin):
    user_id, password = make_user(api, admin, "ian@example.com", roles=["instructor"])
    session = api.login("ian@example.com", password)
    assert new_course(api, session["access_token"]).status_code == 201

    demoted = api.put(f"/users/{user_id}/roles", token=admin, json={"roles": ["learner"]})
    assert demoted.status_code == 200, demoted.text
    # The old token still lists instructor: it is refused within the second...
    assert_revoked(api, session["access_token"], method="POST", path="/training/courses", json={"title": "Late"})
    # ... and a refresh, or a new login right after, gives a learner's token: 403 on the instructor's route.
    refreshed = api.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    refreshed_token = refreshed.json()["data"]["access_token"]
    assert jwt.decode(refreshed_token, options={"verify_signature": False})["roles"] == ["learner"]
    assert_error(new_course(api, refreshed_token), 403, "FORBIDDEN")
    login = api.login("ian@example.com", password)["access_token"]
    assert_error(new_course(api, login), 403, "FORBIDDEN")
    assert api.get("/users/profile", token=login).status_code == 200

    # A role given, not taken, revokes nothing: the learner's token goes on (the new role comes with a refresh).
    assert api.put(f"/users/{user_id}/roles", token=admin, json={"roles": ["learner", "coach"]}).status_code == 200
    time.sleep(WITHIN)
    assert api.get("/users/profile", token=login).status_code == 200


def test_a_new_password_revokes_older_tokens(api, admin, event_tap):
    tap = event_tap("auth")
    user_id, password = make_user(api, admin, "pat@example.com")
    laptop = api.login("pat@example.com", password)
    phone = api.login("pat@example.com", password)

    changed = api.post(
        "/auth/change-password",
        token=laptop["access_token"],
        json={"current_password": password, "new_password": "user-password-2"},
    )
    assert changed.status_code == 200, changed.text
    assert_revoked(api, phone["access_token"])
    assert_revoked(api, laptop["access_token"])
    # The session that changed it goes on with the tokens the answer carries; a login right after works.
    assert api.get("/users/profile", token=changed.json()["data"]["access_token"]).status_code == 200
    after = api.login("pat@example.com", "user-password-2")["access_token"]
    assert api.get("/users/profile", token=after).status_code == 200

    # An admin setting the password does the same.
    assert (
        api.post("/auth/admin/set-password", token=admin, json={"user_id": user_id, "password": "user-password-3"})
    ).status_code == 200
    assert_revoked(api, after)
    before_reset = api.login("pat@example.com", "user-password-3")["access_token"]
    assert api.get("/users/profile", token=before_reset).status_code == 200

    # And a reset with the emailed code.
    assert api.post("/auth/forgot-password", json={"email": "pat@example.com"}).status_code == 200
    code = tap.wait_for(events.PASSWORD_RESET_REQUESTED, email="pat@example.com")["metadata"]["code"]
    reset = api.post(
        "/auth/confirm-forgot-password",
        json={"email": "pat@example.com", "code": code, "new_password": "user-password-4"},
    )
    assert reset.status_code == 200, reset.text
    assert_revoked(api, before_reset)
    assert api.get("/users/profile", token=api.login("pat@example.com", "user-password-4")["access_token"]).ok


def test_reusing_a_spent_refresh_token_revokes_the_sessions_access_tokens(api, admin):
    make_user(api, admin, "rex@example.com")
    first = api.login("rex@example.com", "user-password-1")
    second = api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}).json()["data"]
    assert api.get("/users/profile", token=second["access_token"]).status_code == 200
    assert_error(api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}), 401, "UNAUTHORIZED")
    assert_revoked(api, second["access_token"])
    assert_revoked(api, first["access_token"])
    fresh = api.login("rex@example.com", "user-password-1")["access_token"]
    assert api.get("/users/profile", token=fresh).status_code == 200


def test_every_replica_refuses_a_revoked_token(api, admin, gateway):
    make_user(api, admin, "rep@example.com")
    session = api.login("rep@example.com", "user-password-1")
    with gateway.replica() as other:
        assert other.get("/users/profile", token=session["access_token"]).status_code == 200
        logout = api.post(
            "/auth/logout", token=session["access_token"], json={"refresh_token": session["refresh_token"]}
        )
        assert logout.status_code == 200
        assert_revoked(other, session["access_token"])


def test_revocations_outlive_a_gateway_restart(api, admin, gateway, platform_config, backend):
    learner_id, password = make_user(api, admin, "res@example.com")
    make_user(api, admin, "rol@example.com", roles=["instructor"])
    learner = api.login("res@example.com", password)
    instructor = api.login("rol@example.com", "user-password-1")
    instructor_id = jwt.decode(instructor["access_token"], options={"verify_signature": False})["sub"]
    assert api.put(f"/users/{learner_id}", token=admin, json={"status": "disabled"}).status_code == 200
    assert api.put(f"/users/{instructor_id}/roles", token=admin, json={"roles": ["learner"]}).status_code == 200
    assert_revoked(api, learner["access_token"])
    assert_revoked(api, instructor["access_token"])

    if backend is not None:
        # With Redis the gateway finds them there: auth's own list is emptied to show it.
        assert any("-user:" in key for key in backend())  # the cutoffs are there
        engine = create_engine(platform_config["DB_URIS"]["auth:Base"])
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM token_revocations"))
        engine.dispose()
    gateway.restart()

    # The first request after the restart is refused already: from Redis, or (in memory) loaded from auth.
    assert_error(api.get("/users/profile", token=learner["access_token"]), 401, "UNAUTHORIZED")
    assert_error(new_course(api, instructor["access_token"]), 401, "UNAUTHORIZED")
    fresh = api.login("rol@example.com", "user-password-1")["access_token"]
    assert api.get("/users/profile", token=fresh).status_code == 200
    assert api.get("/users", token=admin).status_code == 200


def test_embedded_mode_revokes_too(embedded):  # noqa: F811 (the fixture imported above)
    """`make run`: one process, the in-memory broker, SQLite; the same events reach the gateway there."""
    base, _ = embedded
    with ApiClient(base) as local:
        admin = local.login("boss@example.com", "boss-password-1")["access_token"]
        learner = local.login("learner@example.com", "learner-demo-1")
        assert local.get("/users/profile", token=learner["access_token"]).status_code == 200
        logout = local.post("/auth/logout", json={"refresh_token": learner["refresh_token"], "all_sessions": True})
        assert logout.status_code == 200, logout.text
        assert_revoked(local, learner["access_token"])
        again = local.login("learner@example.com", "learner-demo-1")["access_token"]
        learner_id = jwt.decode(again, options={"verify_signature": False})["sub"]
        assert local.put(f"/users/{learner_id}", token=admin, json={"status": "disabled"}).status_code == 200
        assert_revoked(local, again)
