"""Faults through the gateway on real RabbitMQ and PostgreSQL: requests given up on never run later, writes
retried with an Idempotency-Key are done once, services that cannot answer fail fast, databases that refuse
connections are a 503 naming the service."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import psycopg2
import pytest
from sqlalchemy import create_engine, text

from common.rpc import rpc
from tests.conftest import all_service_classes
from tests.e2e.test_account_flow import ADMIN, account_of, assert_error, create_admin
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.coaching_setup import iso, make_coach


def _api(config):
    return ApiClient(f"http://{config['WEB_SERVER_ADDRESS']}")


def _coaching_sessions(config):
    engine = create_engine(config["DB_URIS"]["coaching:Base"])
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM coaching_sessions")).scalar()
    finally:
        engine.dispose()


def _coaching_service():
    return next(cls for cls in all_service_classes() if cls.name == "coaching")


def _booking_setup(api, config):
    """An admin, a coach with availability, a learner, and a free slot: ``(coach, learner token, slot)``."""
    create_admin(config)
    admin = api.login(*ADMIN)["access_token"]
    coach, _ = make_coach(api, admin)
    _, learner = make_user(api, admin, "lea@example.com", "Lea")
    start = datetime.now(UTC) + timedelta(days=2)
    slots = api.get(
        f"/coaching/coaches/{coach['id']}/slots",
        token=learner,
        params={"from": iso(start), "to": iso(start + timedelta(days=3))},
    )
    assert slots.status_code == 200, slots.text
    return coach, learner, slots.json()["data"]["items"][0]["start"]


def _wait_until(predicate, seconds=10):
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        outcome = predicate()
        if outcome:
            return outcome
        eventlet.sleep(0.1)
    raise AssertionError("timed out waiting")


def _unless_in_progress(response):
    return None if response.status_code == 409 else response


def test_a_booking_the_gateway_gave_up_on_is_not_made_when_coaching_returns(runner_factory, platform_config):
    # The consumer check is off so that the booking really waits in the queue of a stopped coaching.
    platform_config["GATEWAY"].update(RPC_TIMEOUT=2, CONSUMER_CHECK_SECONDS=0, IDEMPOTENCY={"SETTLE_SECONDS": 2})
    others = [cls for cls in all_service_classes() if cls.name != "coaching"]
    runner_factory(platform_config, *others).start()
    coaching = runner_factory(platform_config, _coaching_service())
    coaching.start()
    with _api(platform_config) as api:
        coach, learner, slot = _booking_setup(api, platform_config)
        coaching.stop()  # its durable queue stays, with nobody consuming
        booking = {"coach_id": coach["id"], "start": slot, "topic": "Goals"}
        key = {"Idempotency-Key": f"book-{uuid.uuid4()}"}
        started = time.monotonic()
        gave_up = api.post("/coaching/sessions", token=learner, json=booking, headers=key)
        assert_error(gave_up, 503, "SERVICE_UNAVAILABLE")
        assert gave_up.json()["error"]["details"] == {"service": "coaching"}
        assert time.monotonic() - started >= 1.9  # it was queued, and waited the whole timeout

        runner_factory(platform_config, _coaching_service()).start()
        _wait_until(lambda: api.get("/coaching/health").status_code == 200)
        eventlet.sleep(1)
        assert _coaching_sessions(platform_config) == 0
        # No answer came for the key (the request expired unstarted): once the gateway stops waiting for one,
        # the retry with the same key books, once.
        retried = _wait_until(
            lambda: _unless_in_progress(api.post("/coaching/sessions", token=learner, json=booking, headers=key))
        )
        assert retried.status_code == 201, retried.text
        replayed = api.post("/coaching/sessions", token=learner, json=booking, headers=key)
        assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json()["data"] == retried.json()["data"]
        assert _coaching_sessions(platform_config) == 1


class BusyTraining:
    """A stand-in training service with one worker, busy for 1.5 s per request."""

    name = "training"
    started = []

    @rpc
    def health(self):
        BusyTraining.started.append(time.monotonic())
        eventlet.sleep(1.5)
        return {"status": "ok", "service": "training", "version": "stand-in"}


def test_a_request_queued_behind_a_busy_service_is_not_run_after_its_caller_gave_up(runner_factory, platform_config):
    from gateway.service import GatewayService

    BusyTraining.started = []
    platform_config["GATEWAY"]["RPC_TIMEOUT"] = 0.5
    runner_factory(platform_config, GatewayService).start()
    runner_factory({**platform_config, "max_workers": 1}, BusyTraining).start()

    def ask(_):
        with _api(platform_config) as api:
            return api.get("/training/health").status_code

    assert list(eventlet.GreenPool(2).imap(ask, range(2))) == [503, 503]
    eventlet.sleep(2.5)  # the worker is free again after 1.5 s: the second request would have started then
    assert len(BusyTraining.started) == 1


@pytest.fixture
def idempotent_platform(runner_factory, platform_config):
    """The platform with a 2 s gateway timeout and idempotency records in the real Redis."""
    run = uuid.uuid4().hex
    platform_config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    platform_config["GATEWAY"].update(
        RPC_TIMEOUT=2,
        RATE_LIMIT_PREFIX=f"test-{run}-rl-",
        IDEMPOTENCY={"PREFIX": f"test-{run}-idem-", "SETTLE_SECONDS": 30},
    )
    runner_factory(platform_config, *all_service_classes()).start()
    return platform_config


def test_a_booking_retried_with_its_key_after_a_timeout_is_made_once(idempotent_platform):
    config = idempotent_platform
    connection = psycopg2.connect(config["DB_URIS"]["coaching:Base"].replace("postgresql+psycopg2", "postgresql"))
    with _api(config) as api:
        coach, learner, slot = _booking_setup(api, config)
        booking = {"coach_id": coach["id"], "start": slot, "topic": "Goals"}
        key = {"Idempotency-Key": f"book-{uuid.uuid4()}"}

        # The booking starts, then waits on the table: the gateway gives up with a 503.
        connection.cursor().execute("LOCK TABLE coaching_sessions IN ACCESS EXCLUSIVE MODE")
        gave_up = api.post("/coaching/sessions", token=learner, json=booking, headers=key)
        assert_error(gave_up, 503, "SERVICE_UNAVAILABLE")
        # A retry while the first may still be running is refused, not run.
        running = api.post("/coaching/sessions", token=learner, json=booking, headers=key)
        assert_error(running, 409, "CONFLICT")
        assert running.json()["error"]["details"]["reason"] == "in_progress"
        assert running.headers["Retry-After"] == "1"
        connection.rollback()  # the first booking goes on and is made

        def replayed():
            retry = api.post("/coaching/sessions", token=learner, json=booking, headers=key)
            return retry if retry.status_code == 201 else None

        first = _wait_until(replayed)
        assert first.headers["Idempotent-Replayed"] == "true"
        again = api.post("/coaching/sessions", token=learner, json=booking, headers=key)
        assert again.status_code == 201 and again.json()["data"] == first.json()["data"]
        assert _coaching_sessions(config) == 1
        listed = api.get("/coaching/sessions", token=learner).json()["data"]
        assert [item["id"] for item in listed["items"]] == [first.json()["data"]["id"]]

        # The same key for another request is refused; a new key on a taken slot gets (and keeps) its 409.
        other = api.post("/coaching/sessions", token=learner, json={**booking, "topic": "Other"}, headers=key)
        assert_error(other, 409, "CONFLICT")
        assert other.json()["error"]["details"]["reason"] == "key_reused"
    connection.close()


def test_a_plain_retry_with_the_same_key_replays_the_answer(idempotent_platform):
    config = idempotent_platform
    with _api(config) as api:
        key = {"Idempotency-Key": f"register-{uuid.uuid4()}"}
        body = {"email": "rita@example.com", "password": "rita-password-1", "name": "Rita"}
        first = api.post("/users/register", json=body, headers=key)
        assert first.status_code == 201, first.text
        assert "Idempotent-Replayed" not in first.headers
        second = api.post("/users/register", json=body, headers=key)
        assert second.status_code == 201 and second.headers["Idempotent-Replayed"] == "true"
        assert second.json()["data"] == first.json()["data"]
        # Without the key the registration is tried again: the answer tells nothing (it never says whether an
        # address is taken), is not a replay, and still no second account is made.
        again = api.post("/users/register", json=body)
        assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
        assert account_of(config, body["email"])["email"] == body["email"]  # exactly one account
        assert_error(
            api.post("/users/register", json=body, headers={"Idempotency-Key": "bad key"}), 400, "VALIDATION_ERROR"
        )


def test_a_service_with_no_consumer_is_a_503_at_once(runner_factory, platform_config):
    from gateway.service import GatewayService

    platform_config["GATEWAY"]["RPC_TIMEOUT"] = 5
    runner_factory(platform_config, GatewayService).start()
    coaching = runner_factory(platform_config, _coaching_service())
    coaching.start()
    with _api(platform_config) as api:
        assert api.get("/coaching/health").status_code == 200
        coaching.stop()  # the queue stays; nobody consumes it
        eventlet.sleep(1.1)  # the gateway asks the broker again after a second
        started = time.monotonic()
        down = api.get("/coaching/health")
        assert time.monotonic() - started < 0.5
        assert_error(down, 503, "SERVICE_UNAVAILABLE")
        assert down.json()["error"]["details"] == {"service": "coaching"}


class SwitchableTraining:
    """A stand-in training service that answers too late while ``slow`` is set."""

    name = "training"
    slow = True

    @rpc
    def health(self):
        if SwitchableTraining.slow:
            eventlet.sleep(2)
        return {"status": "ok", "service": "training", "version": "stand-in"}


def test_the_breaker_opens_after_timeouts_and_closes_after_a_good_trial(runner_factory, platform_config):
    from gateway.service import GatewayService

    SwitchableTraining.slow = True
    platform_config["GATEWAY"].update(
        RPC_TIMEOUT=0.5, BREAKER={"FAILURES": 2, "WINDOW_SECONDS": 30, "COOL_DOWN_SECONDS": 1}
    )
    runner_factory(platform_config, GatewayService, SwitchableTraining).start()

    def timed_health():
        started = time.monotonic()
        response = api.get("/training/health")
        return response, time.monotonic() - started

    with _api(platform_config) as api:
        for _ in range(2):
            response, seconds = timed_health()
            assert_error(response, 503, "SERVICE_UNAVAILABLE")
            assert seconds >= 0.45
        opened, seconds = timed_health()
        assert_error(opened, 503, "SERVICE_UNAVAILABLE")
        assert seconds < 0.3 and opened.headers["Retry-After"] == "1"
        assert opened.json()["error"]["details"] == {"service": "training", "retry_after": 1}

        eventlet.sleep(1.05)
        trial, seconds = timed_health()  # half-open: one trial, which times out and opens it again
        assert_error(trial, 503, "SERVICE_UNAVAILABLE")
        assert seconds >= 0.45
        reopened, seconds = timed_health()
        assert_error(reopened, 503, "SERVICE_UNAVAILABLE")
        assert seconds < 0.3

        SwitchableTraining.slow = False
        eventlet.sleep(1.05)
        assert api.get("/training/health").status_code == 200  # the trial is answered: closed
        assert [api.get("/training/health").status_code for _ in range(3)] == [200, 200, 200]


def test_a_service_whose_database_refuses_connections_is_a_503_naming_it(runner_factory, platform_config):
    from events.service import EventsService
    from gateway.service import GatewayService

    platform_config["DB_URIS"]["events:Base"] = "postgresql+psycopg2://postgres:postgres@127.0.0.1:1/nowhere"
    runner_factory(platform_config, GatewayService, EventsService).start()
    with _api(platform_config) as api:
        assert api.get("/events/health").status_code == 200  # up, but its database is not
        down = api.get("/events")
        assert_error(down, 503, "SERVICE_UNAVAILABLE")
        assert down.json()["error"]["details"] == {"service": "events"}
        assert "database" in down.json()["error"]["message"]
