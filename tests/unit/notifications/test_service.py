"""The notifications service class through worker_factory: mongomock store, users and senders replaced."""

from datetime import timedelta

import mongomock
import pytest
from nameko.testing.services import worker_factory

from common import events
from common.clock import utcnow
from common.context import CallerContext
from common.events import make_event
from common.exceptions import Forbidden, NotFound, ValidationError
from notifications.outbox import LEASE
from notifications.service import NotificationsService
from notifications.store import ensure_indexes


class WorkerCtx:
    def __init__(self):
        self.data = {}


def caller(user_id=None, roles=("learner",)):
    context = CallerContext(WorkerCtx())
    if user_id is not None:
        context.assume(user_id, roles, "req")
    return context


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, address, subject, text, reference=None):
        self.sent.append((address, subject, text))
        return None


class Delivery:
    def __init__(self):
        self.email = Recorder()
        self.senders = {"email": self.email, "sms": Recorder(), "push": Recorder()}
        self.lease = LEASE


@pytest.fixture
def db():
    database = mongomock.MongoClient()["notifications"]
    ensure_indexes(database)
    return database


def make(db, who=None, delivery=None):
    worker = worker_factory(
        NotificationsService,
        db=db,
        caller=who or caller(),
        delivery=delivery or Delivery(),
        settings={"max_attempts": 3, "retry_backoff_seconds": 0.0},
    )
    worker.users.get_account.side_effect = lambda user_id: {"id": user_id, "email": f"{user_id}@x.io"}
    return worker


def test_an_event_becomes_email_and_in_app_once(db):
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    event = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", title="Rust")
    worker.handle_event(event)
    worker.handle_event(event)
    assert delivery.email.sent == [("u1@x.io", "You are enrolled", "You are enrolled in Rust.")]
    inbox = make(db, caller("u1")).list_notifications()
    assert inbox["total"] == 1 and inbox["unread"] == 1


def test_codes_go_to_the_address_they_were_asked_for_without_asking_users(db):
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    worker.handle_event(make_event(events.PASSWORD_RESET_REQUESTED, user_id="u1", email="me@x.io", code="111222"))
    assert delivery.email.sent == [("me@x.io", "Reset your password", "Your password reset code is 111222.")]
    assert not worker.users.get_account.called
    assert make(db, caller("u1")).list_notifications()["total"] == 0  # codes are not kept in the app inbox


def test_a_deleted_user_gets_no_email(db):
    worker = make(db)
    worker.users.get_account.side_effect = lambda user_id: None
    worker.handle_event(make_event(events.COURSE_COMPLETED, user_id="gone"))
    assert db.notifications.count_documents({"channel": "email"}) == 0


def test_the_digest_timer_sends_one_message_for_what_is_due(db):
    delivery = Delivery()
    me = make(db, caller("u1"), delivery)
    me.update_preferences(categories={"learning": {"email": "daily"}})
    worker = make(db, delivery=delivery)
    for title in ("A", "B"):
        worker.handle_event(make_event(events.COURSE_ENROLLED, user_id="u1", title=title))
    assert delivery.email.sent == []
    worker.send_digests()
    assert delivery.email.sent == []  # not due yet
    db.notifications.update_many({"status": "queued"}, {"$set": {"due_at": utcnow() - timedelta(minutes=1)}})
    worker.send_digests()
    worker.send_digests()
    assert len(delivery.email.sent) == 1 and delivery.email.sent[0][1] == "Your digest: 2 updates"


def test_the_retry_timer_finishes_an_interrupted_event(db):
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    event = make_event(events.CERTIFICATE_ISSUED, user_id="u1", title="Go")
    db.inbox.insert_one(
        {"_id": event["event_id"], "event": event, "status": "received", "received_at": utcnow() - 2 * LEASE}
    )
    worker.deliver_due()
    assert [sent[1] for sent in delivery.email.sent] == ["Your certificate is ready"]


def test_inbox_rpcs_belong_to_their_user(db):
    worker = make(db)
    worker.handle_event(make_event(events.COURSE_ENROLLED, user_id="u1", title="Rust"))
    mine = make(db, caller("u1")).list_notifications()["items"][0]
    with pytest.raises(NotFound):
        make(db, caller("u2")).mark_read(mine["id"])
    assert make(db, caller("u1")).mark_read(mine["id"])["read"] is True
    assert make(db, caller("u1")).list_notifications(unread=True)["total"] == 0
    with pytest.raises(ValidationError):
        make(db, caller("u1")).update_preferences(categories={"security": {"email": "never"}})
    with pytest.raises(Forbidden):
        make(db, caller("u1")).announce(subject="x", text="y")
    with pytest.raises(Forbidden):
        make(db, caller("u1")).list_deliveries()
