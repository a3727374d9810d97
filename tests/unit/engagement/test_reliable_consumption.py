"""An event whose handling fails is not lost for engagement: recorded first, handled again, requeued if unrecorded.

The store is mongomock behind a wrapper that answers errors for chosen operations,
as a MongoDB server that hiccups does (pymongo's ``AutoReconnect``). The last test
runs the service on the real broker to show the requeue of an event that could not
even be recorded.
"""

import copy
import os
import uuid
from datetime import timedelta

import eventlet
import mongomock
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.testing.services import replace_dependencies
from pymongo.errors import AutoReconnect

from common import events
from common.clock import utcnow
from common.config import load_config
from common.events import make_event
from common.inbox import Inbox
from engagement import gamification
from engagement.service import EngagementService
from engagement.store import INBOX, ensure_indexes
from tests.unit.engagement.test_engagement import Consumption, badges_published, service


class HiccupStore:
    """A database whose ``collection.method`` fails the next ``times`` calls."""

    def __init__(self, database):
        self.database = database
        self.failing = {}

    def fail(self, collection, method, times=1):
        self.failing[(collection, method)] = times

    def __getitem__(self, name):
        return _Collection(self, name)

    def __getattr__(self, name):
        return getattr(self.database, name)


class _Collection:
    def __init__(self, store, name):
        self._store = store
        self._name = name
        self._collection = store.database[name]

    def __getattr__(self, method):
        attribute = getattr(self._collection, method)
        key = (self._name, method)
        if not callable(attribute) or not self._store.failing.get(key):
            return attribute

        def broken(*args, **kwargs):
            self._store.failing[key] -= 1
            raise AutoReconnect("connection reset by peer")

        return broken


def total_points(database, user_id):
    return gamification.points_of(database, user_id, utcnow() - timedelta(days=1))["total"]


@pytest.fixture
def db():
    database = mongomock.MongoClient()["engagement"]
    ensure_indexes(database)
    return database


def test_an_event_whose_handling_failed_half_way_is_handled_again_by_the_timer(db):
    store = HiccupStore(db)
    worker = service(store, consumption=Consumption(lease=timedelta(0)))
    lesson = make_event(events.LESSON_COMPLETED, user_id="u1", course_id="c1", lesson_id="l1")
    store.fail("points", "insert_one")

    worker.handle_event(lesson)  # returns: Nameko acknowledges the message, the broker forgets it
    assert db.points.count_documents({}) == 0
    recorded = db.inbox.find_one({"_id": lesson["event_id"]})
    assert recorded["status"] == "received" and "connection reset" in recorded["error"]

    worker.handle_interrupted()
    assert db.points.count_documents({"user_id": "u1", "action": "lesson_completed"}) == 1
    assert db.activity_log.count_documents({"_id": lesson["event_id"]}) == 1
    assert db.inbox.find_one({"_id": lesson["event_id"]})["status"] == "processed"
    assert [b["metadata"]["badge"] for b in badges_published(worker)] == ["first_lesson"]

    # Done: neither the timer nor a redelivery changes anything more.
    worker.handle_interrupted()
    worker.handle_event(lesson)
    assert db.points.count_documents({}) == 1 and len(badges_published(worker)) == 1


def test_an_event_the_store_could_not_even_record_is_given_back_to_the_broker(db):
    store = HiccupStore(db)
    worker = service(store)
    enrolled = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1")
    store.fail("inbox", "insert_one")
    with pytest.raises(AutoReconnect):  # the handlers requeue on error: the broker delivers it again
        worker.handle_event(enrolled)
    worker.handle_event(enrolled)
    assert total_points(db, "u1") == 10
    # Something that is not an event is dropped, never requeued for ever.
    worker.handle_event({"event_type": events.COURSE_ENROLLED})
    worker.handle_event("garbage")
    assert db.inbox.count_documents({}) == 1


def test_a_badge_whose_announcement_failed_is_announced_on_the_retry_with_the_same_event_id(db):
    worker = service(db, consumption=Consumption(lease=timedelta(0)))
    worker.events.side_effect = [ConnectionError("broker gone"), None, None]
    lesson = make_event(events.LESSON_COMPLETED, user_id="u1", course_id="c1", lesson_id="l1")
    worker.handle_event(lesson)
    assert db.badges.count_documents({"user_id": "u1"}) == 1
    worker.handle_interrupted()
    first, second = badges_published(worker)
    assert first["event_id"] == second["event_id"]  # to consumers, the second is a redelivery
    assert gamification.unannounced(db, "u1") == []
    worker.handle_interrupted()
    assert len(badges_published(worker)) == 2


def test_an_event_that_keeps_failing_is_kept_as_failed_after_its_attempts(db):
    store = HiccupStore(db)
    worker = service(store, consumption=Consumption(lease=timedelta(0), max_attempts=3))
    store.fail("points", "insert_one", times=100)
    enrolled = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1")
    worker.handle_event(enrolled)
    for _ in range(4):
        worker.handle_interrupted()
    entry = db.inbox.find_one({"_id": enrolled["event_id"]})
    assert entry["status"] == "failed" and entry["attempts"] == 4
    assert Inbox(db[INBOX]).counts() == {"failed": 1}


def test_secrets_are_not_kept_with_the_recorded_event(db):
    reset = make_event(events.PASSWORD_RESET_REQUESTED, user_id="u1", email="a@x.io", code="123456")
    reset["metadata"]["nested"] = {"reset_token": "t", "keep": 1}
    worker = service(db)
    # While it may have to be handled again, the recorded event is kept, without its secrets...
    assert worker._inbox().receive(reset, utcnow())
    stored = db.inbox.find_one()["event"]
    assert stored["metadata"] == {"email": "a@x.io", "nested": {"keep": 1}}
    assert stored["user_id"] == "u1" and stored["event_type"] == events.PASSWORD_RESET_REQUESTED
    # ...and once handled (here as the redelivery of an unfinished event), not at all.
    worker.handle_event(reset)
    entry = db.inbox.find_one()
    assert entry["status"] == "processed" and "event" not in entry
    assert "123456" not in str(entry) and "reset_token" not in str(entry)


def test_on_the_broker_an_unrecorded_event_is_requeued_and_earns_its_points(rabbit_config, container_factory):
    config = copy.deepcopy(load_config())
    config.update(rabbit_config)
    config["MONGO_URI"] = os.environ.get("MONGO_URI", "mongomock://tests")
    config["MONGO_DB_PREFIX"] = f"test_{uuid.uuid4().hex[:8]}_"
    config["ENGAGEMENT"] = {"REQUEUE_DELAY_SECONDS": 0.05}
    config["LOGGING"] = {"version": 1, "disable_existing_loggers": False}
    database = mongomock.MongoClient()["engagement"]
    ensure_indexes(database)
    store = HiccupStore(database)
    store.fail("inbox", "insert_one", times=2)
    container = container_factory(EngagementService, config)
    replace_dependencies(container, db=store)
    container.start()

    enrolled = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", title="Rust")
    event_dispatcher(config)("training", events.COURSE_ENROLLED, enrolled)

    with eventlet.Timeout(15):
        while not database.points.count_documents({"user_id": "u1"}):
            eventlet.sleep(0.05)
    assert store.failing[("inbox", "insert_one")] == 0  # it was refused twice, and delivered a third time
    assert total_points(database, "u1") == 10
    assert database.inbox.find_one({"_id": enrolled["event_id"]})["status"] == "processed"
