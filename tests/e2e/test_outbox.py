"""Every saved change gets its event, once, over HTTP on real RabbitMQ and PostgreSQL: also when publishing fails
while the change is made (the client still gets its answer, and the event follows once publishing works)."""

from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from sqlalchemy import create_engine, text

from common import events
from common.events import DomainEvents
from common.mongo import client_for
from tests.conftest import all_service_classes
from tests.e2e.test_account_flow import ADMIN, create_admin
from tests.e2e.test_training_flow import build_course, data_of
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.coaching_setup import iso, make_coach
from training.enrollments import enrolled_event_id

RELAY_INTERVAL = 0.2


@pytest.fixture
def running(runner_factory, platform_config):
    """Every service, with a quick relay timer; yields the config and the containers by service name."""
    config = {**platform_config, "OUTBOX": {**platform_config["OUTBOX"], "RELAY_INTERVAL": RELAY_INTERVAL}}
    runner = runner_factory(config, *all_service_classes())
    runner.start()
    return config, {container.service_name: container for container in runner.containers}


@pytest.fixture
def api(running):
    config, _ = running
    with ApiClient(f"http://{config['WEB_SERVER_ADDRESS']}") as client:
        yield client


@pytest.fixture
def admin(running, api):
    create_admin(running[0])
    return api.login(*ADMIN)["access_token"]


class PublishingDown:
    """Makes one service's relay fail as against a broker that refuses connections, counting its attempts."""

    def __init__(self, container, monkeypatch):
        self.provider = next(dep for dep in container.dependencies if isinstance(dep, DomainEvents))
        self.monkeypatch = monkeypatch
        self.attempts = 0

    def __enter__(self):
        def refuse(*args, **kwargs):
            self.attempts += 1
            raise ConnectionRefusedError("[Errno 111] ECONNREFUSED")

        self.monkeypatch.setattr(self.provider.publisher, "publish", refuse)
        return self

    def __exit__(self, *exc):
        self.monkeypatch.undo()


def only(tap, event_type, settle=4 * RELAY_INTERVAL + 1, **matching):
    """The one event of ``event_type`` matching ``matching``; waits ``settle`` seconds longer for a second."""
    first = tap.wait_for(event_type, **matching)
    eventlet.sleep(settle)
    more = []
    while not tap.received.empty():
        event = tap.received.get()
        fields = {**event, **event["metadata"]}
        if event["event_type"] == event_type and all(fields.get(k) == v for k, v in matching.items()):
            more.append(event)
    assert more == [], f"{event_type} published more than once"
    return first


def nothing_yet(tap, event_type, wait=5 * RELAY_INTERVAL):
    eventlet.sleep(wait)
    kinds = []
    while not tap.received.empty():
        kinds.append(tap.received.get()["event_type"])
    assert event_type not in kinds


def an_event(api, organiser):
    start = datetime.now(UTC) + timedelta(days=7)
    body = {
        "title": "Outbox live",
        "kind": "online",
        "join_url": "https://meet.example.com/o",
        "timezone": "UTC",
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)),
        "capacity": 10,
    }
    return data_of(api.post("/events", token=organiser, json=body), 201)


def sql_outbox(config, service):
    engine = create_engine(config["DB_URIS"][f"{service}:Base"])
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT event_id, event_type FROM outbox ORDER BY id")).all()
    finally:
        engine.dispose()


def mongo_outbox(config, service):
    collection = client_for(config["MONGO_URI"])[config["MONGO_DB_PREFIX"] + service]["outbox"]
    return list(collection.find({"published_at": None}))


def test_a_registration_an_enrollment_and_a_booking_each_put_one_event_on_the_bus(api, admin, event_tap):
    taps = {service: event_tap(service) for service in ("events", "training", "coaching")}
    _, organiser = make_user(api, admin, "org@example.com", "Olga Organiser", roles=["instructor"])
    learner, learner_token = make_user(api, admin, "lee@example.com", "Lee Learner")

    event = an_event(api, organiser)
    registration = data_of(api.post(f"/events/{event['id']}/register", token=learner_token))
    registered = only(taps["events"], events.EVENT_REGISTERED, registration_id=registration["id"])
    assert registered["user_id"] == learner["id"]

    course, _ = build_course(api, organiser)
    enrollment = data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner_token), 201)
    enrolled = only(taps["training"], events.COURSE_ENROLLED, course_id=course["id"], user_id=learner["id"])
    assert enrolled["event_id"] == enrolled_event_id({"_id": enrollment["id"]})  # fixed by the enrollment
    # Enrolling again (a client's retry) saves the same entry again: nothing new is published.
    assert data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner_token), 201)["created"] is False
    nothing_yet(taps["training"], events.COURSE_ENROLLED)

    coach, _ = make_coach(api, admin)
    start = datetime.now(UTC) + timedelta(days=3)
    slots = api.get(
        f"/coaching/coaches/{coach['id']}/slots",
        token=learner_token,
        params={"from": iso(start), "to": iso(start + timedelta(days=1))},
    ).json()["data"]["items"]
    booked = api.post(
        "/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": slots[0]["start"]}
    )
    assert booked.status_code == 201, booked.text
    only(taps["coaching"], events.SESSION_BOOKED, session_id=booked.json()["data"]["id"])


def test_a_registration_saved_while_publishing_fails_gets_its_event_once_it_works(
    running, api, admin, event_tap, monkeypatch
):
    config, containers = running
    tap = event_tap("events")
    _, organiser = make_user(api, admin, "org@example.com", "Olga Organiser", roles=["instructor"])
    learner, learner_token = make_user(api, admin, "lee@example.com", "Lee Learner")
    event = an_event(api, organiser)
    tap.wait_for(events.EVENT_CREATED, event_id=event["id"])

    with PublishingDown(containers["events"], monkeypatch) as down:
        response = api.post(f"/events/{event['id']}/register", token=learner_token)
        assert response.status_code == 200, response.text  # the change is saved; the event follows
        registration = response.json()["data"]
        assert registration["status"] == "registered"
        nothing_yet(tap, events.EVENT_REGISTERED)
        assert down.attempts >= 2  # right after the request, then the timer, again and again
        (saved,) = sql_outbox(config, "events")
        assert saved.event_type == events.EVENT_REGISTERED

    registered = only(tap, events.EVENT_REGISTERED, registration_id=registration["id"])
    assert registered["event_id"] == saved.event_id  # fixed when it was saved
    assert registered["user_id"] == learner["id"]
    assert sql_outbox(config, "events") == []


def test_an_enrollment_saved_while_publishing_fails_gets_its_event_once_it_works(
    running, api, admin, event_tap, monkeypatch
):
    config, containers = running
    tap = event_tap("training")
    _, instructor = make_user(api, admin, "ina@example.com", "Ina Instructor", roles=["instructor"])
    learner, learner_token = make_user(api, admin, "lee@example.com", "Lee Learner")
    course, _ = build_course(api, instructor)
    tap.wait_for(events.COURSE_PUBLISHED, course_id=course["id"])  # the course's own events are out first

    with PublishingDown(containers["training"], monkeypatch) as down:
        enrollment = data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner_token), 201)
        # The client retries (it did not trust the first answer): the same entry, not a second one.
        assert (
            data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner_token), 201)["created"] is False
        )
        nothing_yet(tap, events.COURSE_ENROLLED)
        assert down.attempts >= 2
        (saved,) = mongo_outbox(config, "training")
        assert saved["_id"] == enrolled_event_id({"_id": enrollment["id"]})

    enrolled = only(tap, events.COURSE_ENROLLED, course_id=course["id"], user_id=learner["id"])
    assert enrolled["event_id"] == saved["_id"]
    assert mongo_outbox(config, "training") == []
