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
        self.announcement_page = 2


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
        settings={"max_attempts": 3, "retry_backoff_seconds": 0.0, "digest_hour_utc": 0.0, "digest_weekday": 0},
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
    # Queued before the last digest time (the digest goes out at 00:00 UTC by default): now due.
    db.notifications.update_many({"status": "queued"}, {"$set": {"created_at": utcnow() - timedelta(days=1)}})
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


def test_an_announcement_is_recorded_in_the_request_and_sent_page_by_page_by_the_timer(db):
    people = [{"id": f"u{n}", "email": f"u{n}@x.io"} for n in range(5)]

    def list_users(page, page_size, status, **filters):
        assert status == "active" and filters == {"role": "learner"}
        start = (page - 1) * page_size
        return {"items": people[start : start + page_size], "total": len(people), "page": page}

    delivery = Delivery()
    admin = make(db, caller("adm", roles=("admin",)), delivery)
    admin.users.list_users.side_effect = list_users
    make(db, caller("u3"), delivery).update_preferences(categories={"announcements": {"email": "never"}})

    answer = admin.announce(subject="Maintenance", text="Sunday", role="student")
    assert answer["recipients"] == 5 and answer["role"] == "learner" and answer["status"] == "pending"
    # The request asked users once (to count the audience) and stored no message.
    assert admin.users.list_users.call_count == 1
    assert db.notifications.count_documents({}) == 0

    timer = make(db, delivery=delivery)
    timer.users.list_users.side_effect = list_users
    timer.send_announcements()
    pages = [c.kwargs["page"] for c in timer.users.list_users.call_args_list]
    assert pages == [1, 2, 3]  # five people, two a page
    assert db.notifications.count_documents({"channel": "in_app"}) == 5
    emails = db.notifications.find({"channel": "email"})
    assert sorted(doc["address"] for doc in emails) == ["u0@x.io", "u1@x.io", "u2@x.io", "u4@x.io"]
    assert db.notifications.count_documents({"channel": "email", "status": "pending"}) == 4  # the outbox sends them
    assert delivery.email.sent == []
    timer.deliver_due()
    assert len(delivery.email.sent) == 4
    done = db.announcements.find_one({"_id": answer["announcement_id"]})
    assert done["status"] == "done" and done["recipients"] == 5
    timer.send_announcements()  # nothing left to do
    assert timer.users.list_users.call_count == 3


def test_an_announcement_interrupted_half_way_resumes_from_its_checkpoint(db):
    people = [{"id": f"u{n}", "email": f"u{n}@x.io"} for n in range(5)]
    calls = []

    def list_users(page, page_size, status, **filters):
        calls.append(page)
        if page == 2 and calls.count(2) == 1:
            raise TimeoutError("users did not answer")
        start = (page - 1) * page_size
        return {"items": people[start : start + page_size], "total": len(people), "page": page}

    delivery = Delivery()
    delivery.lease = timedelta(0)
    admin = make(db, caller("adm", roles=("admin",)), delivery)
    admin.users.list_users.side_effect = list_users
    announced = admin.announce(subject="Hello", text="Everyone")
    calls.clear()
    with pytest.raises(TimeoutError):
        admin.send_announcements()
    assert db.notifications.count_documents({"channel": "in_app"}) == 2
    assert db.announcements.find_one({"_id": announced["announcement_id"]})["next_page"] == 2
    admin.send_announcements()
    assert calls == [1, 2, 2, 3]  # page 1 is not asked for again
    assert db.notifications.count_documents({"channel": "in_app"}) == 5


def test_a_new_follower_is_named_though_users_sends_only_ids(db):
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    worker.users.get_account.side_effect = lambda user_id: {
        "id": user_id,
        "email": f"{user_id}@x.io",
        "name": {"bob": "Bob Builder"}.get(user_id),
        "username": None,
    }
    worker.handle_event(make_event(events.USER_FOLLOWED, user_id="bob", followee_id="ann"))
    assert delivery.email.sent == [("ann@x.io", "You have a new follower", "Bob Builder now follows you.")]
