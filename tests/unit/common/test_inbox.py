"""The consumers' inbox (common/inbox.py) on mongomock: record first, redeliveries, leases, retries, expiry."""

from datetime import UTC, datetime, timedelta

import mongomock
import pytest

from common import events, inbox
from common.clock import as_utc
from common.events import make_event
from common.inbox import LEASE, Inbox
from engagement import store as engagement_store
from notifications import store as notifications_store

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def collection():
    collection = mongomock.MongoClient()["consumer"]["inbox"]
    inbox.ensure_indexes(collection)
    return collection


def test_a_redelivered_event_that_was_handled_changes_nothing(collection):
    box = Inbox(collection)
    event = make_event(events.COURSE_COMPLETED, user_id="u1", course_id="c1", title="Go")
    assert box.receive(event, NOW)
    box.mark_processed(event["event_id"], NOW)
    assert not box.receive(event, NOW)
    assert not box.receive(event, NOW + 3 * LEASE)
    entry = collection.find_one({"_id": event["event_id"]})
    assert entry["status"] == "processed" and as_utc(entry["processed_at"]) == NOW
    assert "event" not in entry  # only the id is needed to recognise a redelivery
    assert box.claim_stale(NOW + 10 * LEASE) is None  # the timer leaves it alone too


def test_a_handled_event_holding_a_code_leaves_no_copy_of_it_in_the_inbox(collection):
    box = Inbox(collection)
    event = make_event(events.PASSWORD_RESET_REQUESTED, user_id="u1", email="a@x.io", code="918273")
    assert box.receive(event, NOW)
    assert "918273" in str(collection.find_one({"_id": event["event_id"]}))  # kept while it may be retried
    box.mark_processed(event["event_id"], NOW)
    assert "918273" not in str(collection.find_one({"_id": event["event_id"]}))


def test_an_interrupted_event_is_handled_again():
    box = Inbox(mongomock.MongoClient()["n2"]["inbox"])
    event = make_event(events.COURSE_COMPLETED, user_id="u1", course_id="c1")
    assert box.receive(event, NOW)
    # The handler died before marking it processed: it is received again, and the timer finds it.
    assert box.receive(event, NOW)
    assert box.claim_stale(NOW + timedelta(minutes=2))["event"] == event
    assert box.claim_stale(NOW + timedelta(minutes=2)) is None  # claimed once: the one entry is taken
    assert box.claim_stale(NOW) is None


def test_an_interrupted_event_is_taken_by_one_timer_run_at_a_time(collection):
    box = Inbox(collection, LEASE)
    event = make_event(events.COURSE_COMPLETED, user_id="u1", title="Go")
    assert box.receive(event, NOW)
    assert box.claim_stale(NOW + LEASE / 2) is None  # its handler may still be at it
    assert box.claim_stale(NOW + LEASE)["event"] == event
    assert box.claim_stale(NOW + LEASE) is None  # taken: another replica leaves it
    assert box.claim_stale(NOW + 2 * LEASE)["event"] == event  # that one died too


def test_a_redelivery_of_an_unfinished_event_takes_the_lease_again(collection):
    box = Inbox(collection, LEASE)
    event = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1")
    assert box.receive(event, NOW)
    later = NOW + 2 * LEASE  # its first handler died; the broker delivers it again
    assert box.receive(event, later)
    assert box.claim_stale(later) is None  # its new handler holds it
    assert box.claim_stale(later + LEASE)["_id"] == event["event_id"]


def test_a_handler_that_renews_its_lease_is_not_taken_for_an_interrupted_one(collection):
    box = Inbox(collection, LEASE)
    event = make_event(events.EVENT_UPDATED, user_id="host", title="Demo")
    assert box.receive(event, NOW)
    moment = NOW
    for _ in range(3):  # a long fan-out: each page takes most of a lease, then renews it
        moment += LEASE * 0.8
        assert box.claim_stale(moment) is None
        box.renew(event["event_id"], moment)
    box.mark_processed(event["event_id"], moment)
    box.renew(event["event_id"], moment)  # renewing a handled event does not bring it back
    assert box.claim_stale(moment + 10 * LEASE) is None
    assert collection.find_one()["status"] == "processed"


def test_every_claim_counts_an_attempt_and_a_given_up_event_stays_failed_with_its_error(collection):
    box = Inbox(collection, timedelta(0))
    event = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1")
    assert box.receive(event, NOW)
    assert collection.find_one()["attempts"] == 1
    box.record_error(event["event_id"], RuntimeError("x" * 2000))
    assert [box.claim_stale(NOW)["attempts"] for _ in range(3)] == [2, 3, 4]
    box.give_up(event["event_id"], NOW)
    entry = collection.find_one()
    assert entry["status"] == "failed" and as_utc(entry["failed_at"]) == NOW and entry["attempts"] == 4
    assert entry["error"] == "x" * 500  # kept, cut short
    assert "processed_at" not in entry  # never expires: kept for an operator to look at
    assert box.claim_stale(NOW + LEASE) is None
    assert not box.receive(event, NOW)  # a redelivery of a given-up event changes nothing
    assert box.counts() == {"failed": 1}


def test_giving_up_leaves_a_processed_event_alone_and_processing_clears_the_error(collection):
    box = Inbox(collection, timedelta(0))
    first, second = (make_event(events.COURSE_ENROLLED, user_id=u, course_id="c1") for u in ("u1", "u2"))
    assert box.receive(first, NOW) and box.receive(second, NOW)
    box.record_error(first["event_id"], "store hiccupped")
    box.mark_processed(first["event_id"], NOW)
    box.give_up(first["event_id"], NOW)
    assert collection.find_one({"_id": first["event_id"]})["error"] is None
    assert box.counts() == {"processed": 1, "received": 1}


def test_one_timer_run_skips_what_it_claimed_already(collection):
    box = Inbox(collection, timedelta(0))
    first, second = (make_event(events.COURSE_ENROLLED, user_id=u, course_id="c1") for u in ("u1", "u2"))
    box.receive(first, NOW)
    box.receive(second, NOW + timedelta(seconds=1))
    claimed = box.claim_stale(NOW + LEASE)
    assert claimed["_id"] == first["event_id"]  # the one waiting longest past its lease
    assert box.claim_stale(NOW + LEASE, skip=[first["event_id"]])["_id"] == second["event_id"]
    assert box.claim_stale(NOW + LEASE, skip=[first["event_id"], second["event_id"]]) is None


def test_the_event_is_stored_whole_unless_the_consumer_redacts_it(collection):
    reset = make_event(events.PASSWORD_RESET_REQUESTED, user_id="u1", email="a@x.io", code="123456")
    assert Inbox(collection).receive(reset, NOW)
    assert collection.find_one({"_id": reset["event_id"]})["event"] == reset  # a retry can render the code

    other = mongomock.MongoClient()["other"]["inbox"]
    assert Inbox(other, redact=lambda event: {**event, "metadata": {}}).receive(reset, NOW)
    stored = other.find_one({"_id": reset["event_id"]})
    assert stored["event"]["metadata"] == {} and stored["event_type"] == events.PASSWORD_RESET_REQUESTED
    assert reset["metadata"]["code"] == "123456"  # the handler still gets the event as it came


def test_handled_events_expire_after_the_retention(collection):
    ttl = [index for index in collection.index_information().values() if "expireAfterSeconds" in index]
    assert [(index["key"], index["expireAfterSeconds"]) for index in ttl] == [
        ([("processed_at", 1)], inbox.RETENTION_SECONDS)
    ]
    assert inbox.RETENTION_SECONDS >= 7 * 86400  # well past any redelivery


@pytest.mark.parametrize("store", [notifications_store, engagement_store])
def test_handled_events_expire_from_each_consumers_inbox_after_the_retention(store):
    db = mongomock.MongoClient().db
    store.ensure_indexes(db)
    ttl = [index for index in db[store.INBOX].index_information().values() if "expireAfterSeconds" in index]
    assert [(index["key"], index["expireAfterSeconds"]) for index in ttl] == [
        ([("processed_at", 1)], inbox.RETENTION_SECONDS)
    ]


def test_a_failed_handling_is_due_again_soon_with_a_growing_delay_never_past_the_lease(collection):
    box = Inbox(collection, LEASE, retry_delay=timedelta(seconds=5))
    event = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1")
    assert box.receive(event, NOW)
    box.retry_soon(event["event_id"], TimeoutError("users did not answer"), NOW, attempts=1)
    assert box.claim_stale(NOW + timedelta(seconds=4)) is None
    claimed = box.claim_stale(NOW + timedelta(seconds=5))  # not a whole lease later
    assert claimed["error"] == "users did not answer" and claimed["attempts"] == 2
    box.retry_soon(event["event_id"], "again", NOW, attempts=2)
    assert box.claim_stale(NOW + timedelta(seconds=9)) is None
    assert box.claim_stale(NOW + timedelta(seconds=10))["attempts"] == 3
    box.retry_soon(event["event_id"], "again", NOW, attempts=30)
    assert box.claim_stale(NOW + LEASE - timedelta(seconds=1)) is None
    assert box.claim_stale(NOW + LEASE) is not None
    box.mark_processed(event["event_id"], NOW)
    box.retry_soon(event["event_id"], "late", NOW)  # a handled event is not brought back
    assert collection.find_one()["status"] == "processed"


def test_the_retry_timer_tries_a_failed_event_again_soon(collection):
    box = Inbox(collection, LEASE, retry_delay=timedelta(seconds=5))
    event = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1")
    assert box.receive(event, NOW - LEASE)
    tries = []

    def handle(event):
        tries.append(event["event_id"])
        if len(tries) == 1:
            raise TimeoutError("users did not answer")

    box.handle_stale(NOW, handle)
    box.handle_stale(NOW + timedelta(seconds=9), handle)
    assert tries == [event["event_id"]]  # the second attempt waits 2 x 5 s
    box.handle_stale(NOW + timedelta(seconds=10), handle)
    assert tries == [event["event_id"]] * 2
