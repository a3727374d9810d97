"""The notifications service class through worker_factory: mongomock store, users and senders replaced
(users by stubs, or by the users service's own class over SQLite where its paging is what is tested)."""

from datetime import timedelta
from types import SimpleNamespace

import mongomock
import pytest
from nameko.testing.services import worker_factory
from nameko_sqlalchemy.database import DatabaseWrapper, Session
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from common import events
from common.clock import utcnow
from common.events import make_event
from common.exceptions import Forbidden, NotFound, ValidationError
from common.inbox import Inbox
from common.pagination import MAX_PAGE_SIZE
from common.stores import Repositories
from notifications import service as notifications_service
from notifications.accounts import AccountBatcher
from notifications.channels import DeliveryFailed
from notifications.outbox import LEASE
from notifications.service import NotificationsService
from notifications.store import PREFERENCES, ensure_indexes
from tests.support.callers import caller as support_caller
from users.models import Base as UsersBase
from users.service import UsersService


def caller(user_id=None, roles=("learner",)):
    """No user: an internal call; a user: a learner unless ``roles`` say otherwise."""
    return support_caller(user_id, roles if user_id is not None else ())


class Recorder:
    def __init__(self):
        self.sent = []
        self.html = []
        self.failures = []  # raised by the next sends, in order

    def send(self, address, subject, text, reference=None, html=None, headers=None):
        if self.failures:
            raise self.failures.pop(0)
        # The message as written: an email's unsubscribe footer (notifications/emails.py) is tested on its own.
        self.sent.append((address, subject, text.split("\n\n--\n")[0]))
        self.html.append(html)
        return None


class Delivery:
    def __init__(self):
        self.email = Recorder()
        self.senders = {"email": self.email, "sms": Recorder(), "push": Recorder()}
        self.lease = LEASE
        self.announcement_page = 2
        self.inline_send_recipients = 10
        self.max_process_attempts = 3
        self.event_retry_delay = timedelta(seconds=5)
        self.accounts = AccountBatcher()


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
        consumption=SimpleNamespace(lease=LEASE, max_attempts=3, retry_delay=timedelta(seconds=5), requeue_delay=0),
        settings={"max_attempts": 3, "retry_backoff_seconds": 0.0, "digest_hour_utc": 0.0, "digest_weekday": 0},
    )
    worker.users.get_account.side_effect = lambda user_id: {"id": user_id, "email": f"{user_id}@x.io"}
    worker.users.get_accounts.side_effect = lambda user_ids: {
        user_id: {"id": user_id, "email": f"{user_id}@x.io"} for user_id in user_ids
    }
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
    assert not worker.users.get_account.called and not worker.users.get_accounts.called
    assert make(db, caller("u1")).list_notifications()["total"] == 0  # codes are not kept in the app inbox


def test_a_deleted_user_gets_no_email(db):
    worker = make(db)
    worker.users.get_account.side_effect = lambda user_id: None
    worker.users.get_accounts.side_effect = lambda user_ids: {}
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
    # Recorded, and its handler died: its lease has run out.
    assert Inbox(db.inbox, LEASE).receive(event, utcnow() - 2 * LEASE)
    worker.deliver_due()
    assert [sent[1] for sent in delivery.email.sent] == ["Your certificate is ready"]


def test_an_interrupted_code_is_sent_by_the_retry_timer_from_the_recorded_event(db):
    # notifications keeps the event whole in its inbox (engagement drops its secrets): the retry needs the code.
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    event = make_event(events.PASSWORD_RESET_REQUESTED, user_id="u1", email="me@x.io", code="111222")
    assert Inbox(db.inbox, LEASE).receive(event, utcnow() - 2 * LEASE)
    worker.deliver_due()
    assert delivery.email.sent == [("me@x.io", "Reset your password", "Your password reset code is 111222.")]
    assert db.inbox.find_one({"_id": event["event_id"]})["status"] == "processed"


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


def accounts_of(people, calls=None):
    """A stand-in for users' ``list_accounts`` over ``people``: pages by position (here the index of the last
    one seen), ``next_after`` None on the last page."""

    def list_accounts(after, limit, status, **filters):
        if calls is not None:
            calls.append(after)
        assert status == "active"
        start = 0 if after is None else int(after) + 1
        items = people[start : start + limit]
        return {"items": items, "next_after": str(start + limit - 1) if len(items) == limit else None}

    return list_accounts


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
    assert admin.users.list_users.call_count == 1 and not admin.users.list_accounts.called
    assert db.notifications.count_documents({}) == 0

    timer = make(db, delivery=delivery)
    timer.users.list_accounts.side_effect = accounts_of(people)
    timer.send_announcements()
    afters = [c.kwargs["after"] for c in timer.users.list_accounts.call_args_list]
    assert afters == [None, "1", "3"]  # five people, two a page, each page after the last one seen
    assert {c.kwargs["role"] for c in timer.users.list_accounts.call_args_list} == {"learner"}
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
    assert timer.users.list_accounts.call_count == 3


def test_an_announcement_interrupted_half_way_resumes_from_its_checkpoint(db):
    people = [{"id": f"u{n}", "email": f"u{n}@x.io"} for n in range(5)]
    calls = []
    answer = accounts_of(people, calls)

    def list_accounts(**query):
        if query["after"] == "1" and calls.count("1") == 0:
            calls.append("1")
            raise TimeoutError("users did not answer")
        return answer(**query)

    delivery = Delivery()
    delivery.lease = timedelta(0)
    admin = make(db, caller("adm", roles=("admin",)), delivery)
    admin.users.list_users.return_value = {"items": [], "total": 5}
    admin.users.list_accounts.side_effect = list_accounts
    announced = admin.announce(subject="Hello", text="Everyone")
    with pytest.raises(TimeoutError):
        admin.send_announcements()
    assert db.notifications.count_documents({"channel": "in_app"}) == 2
    assert db.announcements.find_one({"_id": announced["announcement_id"]})["after"] == "1"
    admin.send_announcements()
    assert calls == [None, "1", "1", "3"]  # the first page is not asked for again
    assert db.notifications.count_documents({"channel": "in_app"}) == 5


@pytest.fixture
def users():
    """The users service's own class over SQLite, as notifications' ``users`` RPC proxy would reach it."""
    engine = create_engine("sqlite://")
    UsersBase.metadata.create_all(engine)
    database = DatabaseWrapper(sessionmaker(bind=engine, class_=Session))
    service = worker_factory(
        UsersService,
        store=Repositories(lambda: database.session, UsersService.store.repositories),
        caller=caller(),
        settings={"require_email_confirmation": False},
    )
    service.auth.create_identity.return_value = {"confirmation_code": None}
    return service


def served_by(worker, users):
    for method in ("list_users", "list_accounts", "get_accounts", "get_account"):
        getattr(worker.users, method).side_effect = getattr(users, method)
    return worker


def configured_delivery(section):
    """notifications' own ``Delivery`` provider, set up from a NOTIFICATIONS section of config.yaml."""
    provider = notifications_service.Delivery()
    provider.container = SimpleNamespace(config={"NOTIFICATIONS": section})
    provider.setup()
    return provider


def test_an_announcement_page_size_above_what_users_answers_is_clamped(db, users):
    assert configured_delivery({}).announcement_page == MAX_PAGE_SIZE
    assert configured_delivery({"ANNOUNCEMENT_PAGE_SIZE": 2}).announcement_page == 2
    assert configured_delivery({"ANNOUNCEMENT_PAGE_SIZE": -3}).announcement_page == 1
    delivery = configured_delivery({"ANNOUNCEMENT_PAGE_SIZE": 500})
    assert delivery.announcement_page == MAX_PAGE_SIZE
    people = [users.create_user(email=f"p{n}@x.io", name=f"P{n}") for n in range(3)]
    admin = served_by(make(db, caller("adm", roles=("admin",)), delivery), users)
    announced = admin.announce(subject="Hello", text="Everyone")
    # users refuses pages over MAX_PAGE_SIZE: with 500 every run would fail, and nobody would be told.
    admin.send_announcements()
    told = {doc["user_id"] for doc in db.notifications.find({"channel": "in_app"})}
    assert told == {person["id"] for person in people}
    assert db.announcements.find_one({"_id": announced["announcement_id"]})["status"] == "done"


def test_someone_deleted_or_disabled_half_way_through_an_announcement_makes_nobody_miss_it(db, users):
    people = [users.create_user(email=f"p{n}@x.io", name=f"P{n}") for n in range(6)]
    delivery = Delivery()
    delivery.lease = timedelta(0)
    admin = served_by(make(db, caller("adm", roles=("admin",)), delivery), users)
    announced = admin.announce(subject="Hello", text="Everyone")
    assert announced["recipients"] == 6

    # The first page (two people) is stored, then users does not answer.
    calls = []

    def flaky(**query):
        calls.append(query)
        if len(calls) == 2:
            raise TimeoutError("users did not answer")
        return users.list_accounts(**query)

    admin.users.list_accounts.side_effect = flaky
    with pytest.raises(TimeoutError):
        admin.send_announcements()
    first_page = {doc["user_id"] for doc in db.notifications.find({"channel": "in_app"})}
    assert len(first_page) == 2
    # Meanwhile both people of that page leave the audience: one is deleted, the other disabled. Pages counted
    # from the start of the list would now begin two people later, and two people would never be told.
    deleted, disabled = sorted(first_page)
    users.delete_user(deleted)
    users.update_user(disabled, status="disabled")
    admin.send_announcements()
    told = {doc["user_id"] for doc in db.notifications.find({"channel": "in_app"})}
    assert told == {person["id"] for person in people}
    assert db.notifications.count_documents({"channel": "in_app"}) == 6  # each once
    assert db.announcements.find_one({"_id": announced["announcement_id"]})["status"] == "done"


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


def test_the_followers_name_comes_in_the_event_without_asking_users(db):
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    worker.handle_event(make_event(events.USER_FOLLOWED, user_id="bob", followee_id="ann", follower_name="Bob B"))
    assert delivery.email.sent == [("ann@x.io", "You have a new follower", "Bob B now follows you.")]
    assert not worker.users.get_account.called


class CountingPreferences:
    """The mongomock database, counting the queries made on the preferences collection."""

    def __init__(self, db):
        self._db = db
        self.queries = 0

    def __getitem__(self, name):
        collection = self._db[name]
        if name != PREFERENCES:
            return collection
        counter = self

        class Counted:
            def __getattr__(self, attribute):
                if attribute in ("find", "find_one", "aggregate", "count_documents"):
                    counter.queries += 1
                return getattr(collection, attribute)

        return Counted()

    def __getattr__(self, name):
        return getattr(self._db, name)


def test_a_large_event_is_fanned_out_a_page_at_a_time_and_sent_by_the_outbox_timer(db):
    delivery = Delivery()
    people = [f"p{n}" for n in range(250)]
    make(db, caller("p0"), delivery).update_preferences(categories={"events": {"email": "never"}})
    counted = CountingPreferences(db)
    worker = make(counted, delivery=delivery)
    event = make_event(events.EVENT_CANCELLED, user_id="host", recipient_ids=people, title="Demo day")
    worker.handle_event(event)

    # One query for everyone's preferences, one call to users per page of addresses (p0 wants no email, so
    # is not asked for), and none per person.
    assert counted.queries == 1
    asked = [list(c.args[0]) for c in worker.users.get_accounts.call_args_list]
    assert [len(page) for page in asked] == [MAX_PAGE_SIZE - 1, MAX_PAGE_SIZE, 51]
    assert sorted(sum(asked, [])) == sorted(["host"] + people[1:])
    assert not worker.users.get_account.called
    # Everything is stored, nothing is sent inside the handler: the outbox timer sends.
    assert db.notifications.count_documents({"channel": "in_app"}) == 251
    assert db.notifications.count_documents({"channel": "email", "status": "pending"}) == 250
    assert delivery.email.sent == []
    assert db.inbox.find_one({"_id": event["event_id"]})["status"] == "processed"
    for _ in range(3):
        worker.deliver_due()
    addresses = [address for address, _, _ in delivery.email.sent]
    assert sorted(addresses) == sorted(f"{person}@x.io" for person in ["host"] + people[1:])
    assert {subject for _, subject, _ in delivery.email.sent} == {"Event cancelled"}
    # The same event again (a redelivery) stores and sends nothing more.
    worker.handle_event(event)
    worker.deliver_due()
    assert len(delivery.email.sent) == 250
    assert db.notifications.count_documents({"event_id": event["event_id"]}) == 501


def test_a_small_event_is_still_sent_at_once_by_its_handler(db):
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    people = [f"p{n}" for n in range(delivery.inline_send_recipients)]
    worker.handle_event(make_event(events.EVENT_UPDATED, user_id="host", recipient_ids=people, title="Demo"))
    assert sorted(address for address, _, _ in delivery.email.sent) == sorted(f"{p}@x.io" for p in people)
    assert worker.users.get_accounts.call_count == 1


def test_a_fan_out_that_outlasts_the_lease_is_not_taken_for_an_interrupted_one(db, monkeypatch):
    clock = [utcnow()]
    monkeypatch.setattr(notifications_service, "utcnow", lambda: clock[0])
    worker = make(db)
    taken_by_the_timer = []

    def slow_users(user_ids):
        clock[0] += LEASE * 0.8  # each page of addresses takes most of a lease
        # Meanwhile the retry timer (another replica) looks for events whose handler died.
        taken_by_the_timer.append(Inbox(db.inbox, LEASE).claim_stale(clock[0]))
        return {user_id: {"id": user_id, "email": f"{user_id}@x.io"} for user_id in user_ids}

    worker.users.get_accounts.side_effect = slow_users
    people = [f"p{n}" for n in range(3 * MAX_PAGE_SIZE)]
    event = make_event(events.EVENT_UPDATED, user_id="host", recipient_ids=people, title="Demo")
    worker.handle_event(event)
    assert taken_by_the_timer == [None, None, None]
    assert db.inbox.find_one({"_id": event["event_id"]})["status"] == "processed"


def test_an_event_that_cannot_be_handled_holds_nothing_back_and_is_given_up_after_its_attempts(db):
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    delivery.email.failures = [DeliveryFailed("SendGrid answered 503", status=503)]
    worker.handle_event(make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", title="Rust"))
    assert delivery.email.sent == []  # failed once: a retry is due (backoff 0)

    poison = make_event(events.COURSE_COMPLETED, user_id="u2", course_id="c2", title="Go")
    Inbox(db["inbox"]).receive(poison, utcnow() - 2 * LEASE)  # recorded, then its handler died
    worker.users.get_accounts.side_effect = RuntimeError("users answered nonsense")
    worker.deliver_due()
    assert [sent[0] for sent in delivery.email.sent] == ["u1@x.io"]  # the retry went out all the same
    entry = db["inbox"].find_one({"_id": poison["event_id"]})
    assert entry["status"] == "received" and "nonsense" in entry["error"]

    for _ in range(delivery.max_process_attempts):
        db["inbox"].update_one({"_id": poison["event_id"]}, {"$set": {"lease_until": utcnow() - LEASE}})
        worker.deliver_due()
    assert db["inbox"].find_one({"_id": poison["event_id"]})["status"] == "failed"


def test_after_users_timed_out_an_event_is_handled_again_seconds_later_not_a_lease_later(db, monkeypatch):
    from common.exceptions import ServiceUnavailable

    clock = [utcnow()]
    monkeypatch.setattr(notifications_service, "utcnow", lambda: clock[0])
    delivery = Delivery()
    worker = make(db, delivery=delivery)
    worker.users.get_accounts.side_effect = ServiceUnavailable("The users service did not answer in time")
    event = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", title="Rust")
    with pytest.raises(ServiceUnavailable):
        worker.handle_event(event)
    entry = db["inbox"].find_one({"_id": event["event_id"]})
    assert entry["status"] == "received" and "did not answer" in entry["error"]

    worker.users.get_accounts.side_effect = lambda user_ids: {u: {"id": u, "email": f"{u}@x.io"} for u in user_ids}
    clock[0] += timedelta(seconds=4)
    worker.deliver_due()
    assert delivery.email.sent == []  # not yet
    clock[0] += timedelta(seconds=1)  # 5 s after the failure, far less than the 60 s lease
    worker.deliver_due()
    assert [sent[0] for sent in delivery.email.sent] == ["u1@x.io"]
    assert db["inbox"].find_one({"_id": event["event_id"]})["status"] == "processed"
