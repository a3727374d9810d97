"""Templates, preferences, the outbox (retries, idempotency, digests) on mongomock; senders against stand-ins."""

from datetime import UTC, datetime, timedelta

import boto3
import mongomock
import pytest
from moto import mock_aws

from common import events
from common.events import make_event
from common.exceptions import ValidationError
from common.inbox import Inbox
from notifications import outbox
from notifications import preferences as prefs
from notifications.channels import DeliveryFailed, SendGridEmail, SnsText, senders_from_config
from notifications.store import ensure_indexes
from notifications.templates import recipients, render
from tests.support.sendgrid_standin import SendGridStandIn

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def db():
    database = mongomock.MongoClient()["notifications"]
    ensure_indexes(database)
    return database


class Recorder:
    def __init__(self, failures=()):
        self.sent = []
        self.html = []
        self.failures = list(failures)

    def send(self, address, subject, text, reference=None, html=None, headers=None):
        if self.failures:
            raise self.failures.pop(0)
        # The message as written: an email's unsubscribe footer (notifications/emails.py) is tested on its own.
        self.sent.append((address, subject, text.split("\n\n--\n")[0]))
        self.html.append(html)
        return "provider-1"


def test_events_render_from_templates_and_codes_are_secret():
    registered = make_event(
        events.USER_REGISTERED, user_id="u1", email="a@x.io", name="Ann", confirmation_code="123456"
    )
    message = render(registered)
    assert message.category == "security" and message.secret
    assert message.text == "Hello Ann, your confirmation code is 123456."
    welcome = render(make_event(events.USER_REGISTERED, user_id="u1", email="a@x.io", name="Ann"))
    assert welcome.category == "account" and not welcome.secret
    assert render(make_event(events.USER_LOGGED_IN, user_id="u1")) is None
    enrolled = render(make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", title="Rust"))
    assert enrolled.text == "You are enrolled in Rust."
    booked = make_event(events.SESSION_BOOKED, user_id="u1", coach_id="c9", starts_at="2026-12-01T10:00Z")
    assert recipients(booked) == ["u1", "c9"]
    assert recipients(make_event(events.USER_FOLLOWED, user_id="u1", followee_id="u2")) == ["u2"]


def test_security_cannot_be_switched_off_or_delayed():
    with pytest.raises(ValidationError):
        prefs.check_changes({"categories": {"security": {"email": "daily"}}})
    prefs.check_changes({"categories": {"security": {"email": "immediately"}, "learning": {"email": "never"}}})
    table = prefs.effective({"categories": {"security": {"email": "never"}, "learning": {"email": "weekly"}}})
    assert table["categories"]["security"]["email"] == "immediately"
    assert prefs.channels_for(table, "learning") == {"email": "weekly", "in_app": "immediately"}
    # A code goes by email only; SMS needs a number.
    assert prefs.channels_for(table, "security", message_is_secret=True) == {"email": "immediately"}
    with_phone = prefs.effective({"phone": "+15550001111", "categories": {"events": {"sms": "immediately"}}})
    assert "sms" in prefs.channels_for(with_phone, "events")


def plan_event(db, event, email="a@x.io", stored=None):
    table = prefs.effective(stored)
    docs = outbox.plan(event, render(event), event["user_id"], table, email, NOW)
    return outbox.store(db, docs)


def test_a_redelivered_event_stores_and_sends_nothing_twice(db):
    event = make_event(events.COURSE_COMPLETED, user_id="u1", course_id="c1", title="Go")
    inbox = Inbox(db.inbox)
    assert inbox.receive(event, NOW)
    assert len(plan_event(db, event)) == 2  # email + in-app
    inbox.mark_processed(event["event_id"], NOW)
    assert not inbox.receive(event, NOW)
    assert plan_event(db, event) == []
    sender = Recorder()
    for notification_id in outbox.due_to_send(db, event["event_id"]):
        document = outbox.claim(db, notification_id, NOW)
        outbox.attempt(db, document, {"email": sender}, NOW, 5, 30)
        assert outbox.claim(db, notification_id, NOW) is None  # sent: nobody claims it again
    assert len(sender.sent) == 1


def test_failures_back_off_then_fail_for_good_with_their_error(db):
    event = make_event(events.CERTIFICATE_ISSUED, user_id="u1", title="Go")
    plan_event(db, event, stored={"categories": {"learning": {"in_app": "never"}}})
    sender = Recorder([DeliveryFailed("SendGrid answered 503", status=503)] * 3)
    now = NOW
    statuses = []
    for _ in range(3):
        document = outbox.claim_next_due(db, now)
        statuses.append(outbox.attempt(db, document, {"email": sender}, now, 3, 30))
        waiting = db.notifications.find_one({"_id": document["_id"]})
        if statuses[-1] == outbox.PENDING:
            assert outbox.claim_next_due(db, now) is None  # not due before its backoff
            delay = outbox.as_utc(waiting["next_attempt_at"]) - now
            now += delay
    assert statuses == ["pending", "pending", "failed"]
    failed = db.notifications.find_one({"status": "failed"})
    assert failed["attempt_count"] == 3 and failed["last_error"] == "SendGrid answered 503"
    assert [outbox.backoff(n, 30) for n in (1, 2, 3)] == [30, 60, 120]


def test_with_no_backoff_a_failed_message_is_not_claimed_again_by_the_same_run(db):
    event = make_event(events.CERTIFICATE_ISSUED, user_id="u1", title="Go")
    plan_event(db, event, stored={"categories": {"learning": {"in_app": "never"}}})
    document = outbox.claim_next_due(db, NOW)
    sender = Recorder([DeliveryFailed("SendGrid answered 503", status=503)])
    assert outbox.attempt(db, document, {"email": sender}, NOW, 5, 0) == "pending"
    assert outbox.claim_next_due(db, NOW, skip=[document["_id"]]) is None
    assert outbox.claim_next_due(db, NOW)["_id"] == document["_id"]  # due again for the next run


def test_a_permanent_failure_is_not_retried_and_a_sent_code_is_blanked(db):
    refused = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1")
    plan_event(db, refused)
    document = outbox.claim_next_due(db, NOW)
    assert outbox.attempt(db, document, {"email": Recorder([DeliveryFailed("bad", permanent=True)])}, NOW, 5, 0) == (
        "failed"
    )
    code = make_event(events.PASSWORD_RESET_REQUESTED, user_id="u2", email="b@x.io", code="654321")
    plan_event(db, code, email="b@x.io")
    document = outbox.claim_next_due(db, NOW)
    sender = Recorder()
    assert outbox.attempt(db, document, {"email": sender}, NOW, 5, 0) == "sent"
    assert "654321" in sender.sent[0][2]
    assert db.notifications.find_one({"_id": document["_id"]})["text"] == outbox.REDACTED


def test_digests_gather_queued_messages_once(db):
    stored = {"categories": {"learning": {"email": "daily"}}}
    for title in ("A", "B"):
        plan_event(db, make_event(events.COURSE_ENROLLED, user_id="u1", title=title), stored=stored)
    assert db.notifications.count_documents({"status": "queued"}) == 2
    assert outbox.due_digest_groups(db, NOW) == {}
    tomorrow = NOW + timedelta(days=1)
    groups = outbox.due_digest_groups(db, tomorrow)
    ((user_id, channel, address, due_at), items) = next(iter(groups.items()))
    assert due_at == datetime(2026, 11, 24, tzinfo=UTC) and len(items) == 2
    digest = outbox.make_digest(db, user_id, channel, address, due_at, items, tomorrow)
    again = outbox.make_digest(db, user_id, channel, address, due_at, items, tomorrow)
    assert again["_id"] == digest["_id"]
    assert digest["subject"] == "Your digest: 2 updates" and "You are enrolled in A." in digest["text"]
    assert db.notifications.count_documents({"status": "digested", "digest_id": digest["_id"]}) == 2
    assert outbox.next_digest_at(NOW, prefs.WEEKLY) == datetime(2026, 11, 30, tzinfo=UTC)


def test_sendgrid_sender_speaks_the_v3_api():
    standin = SendGridStandIn(api_key="SG.k")
    try:
        sender = SendGridEmail(standin.base_url, "SG.k", "from@x.io", "Platform", timeout=5)
        assert sender.send("To@X.io", "Hi", "Hello", reference="n-1")
        assert standin.messages[0]["to"] == "to@x.io" and standin.messages[0]["custom_args"] == {
            "notification_id": "n-1"
        }
        standin.fail_next(429)
        with pytest.raises(DeliveryFailed) as busy:
            sender.send("to@x.io", "Hi", "Hello")
        assert not busy.value.permanent and busy.value.status == 429
        with pytest.raises(DeliveryFailed) as unauthorised:
            SendGridEmail(standin.base_url, "wrong", "from@x.io", None, timeout=5).send("to@x.io", "Hi", "Hello")
        assert unauthorised.value.permanent and "401" in str(unauthorised.value)
    finally:
        standin.close()
    with pytest.raises(DeliveryFailed) as unreachable:
        sender.send("to@x.io", "Hi", "Hello")
    assert not unreachable.value.permanent


@mock_aws
def test_sms_and_push_go_through_sns():
    client = boto3.client("sns", region_name="us-east-1")
    assert SnsText(client, push=False).send("+15550001111", "Reminder", "Starts soon")
    app = client.create_platform_application(Name="app", Platform="GCM", Attributes={"PlatformCredential": "k"})
    endpoint = client.create_platform_endpoint(PlatformApplicationArn=app["PlatformApplicationArn"], Token="device")
    assert SnsText(client, push=True).send(endpoint["EndpointArn"], "Badge", "You earned it")
    senders = senders_from_config({"SMS_BACKEND": "sns", "SNS_REGION": "us-east-1", "EMAIL_BACKEND": "log"})
    assert isinstance(senders["sms"], SnsText) and senders["push"].push


def test_the_digest_schedule_is_an_hour_of_the_day_and_a_weekday():
    morning = outbox.DigestSchedule(hour=7.5, weekday=4)  # 07:30 UTC; weekly on Fridays
    assert outbox.next_digest_at(NOW, prefs.DAILY, morning) == datetime(2026, 11, 24, 7, 30, tzinfo=UTC)
    assert outbox.last_digest_at(NOW, prefs.DAILY, morning) == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)
    assert outbox.next_digest_at(NOW, prefs.WEEKLY, morning) == datetime(2026, 11, 27, 7, 30, tzinfo=UTC)
    assert outbox.last_digest_at(NOW, prefs.WEEKLY, morning) == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    # At the very moment of a digest, it is the last one, and the next is a period later.
    at = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)
    assert outbox.last_digest_at(at, prefs.WEEKLY, morning) == at
    assert outbox.next_digest_at(at, prefs.WEEKLY, morning) == datetime(2026, 12, 4, 7, 30, tzinfo=UTC)
    # A message is due exactly when the first digest time after it has come.
    for frequency in (prefs.DAILY, prefs.WEEKLY):
        for hours in range(0, 24 * 15, 5):
            queued = NOW + timedelta(hours=hours, minutes=7)
            for later in (timedelta(0), timedelta(hours=3), timedelta(days=1), timedelta(days=8)):
                now = queued + later
                due = outbox.next_digest_at(queued, frequency, morning) <= now
                assert due == (queued < outbox.last_digest_at(now, frequency, morning)), (frequency, queued, now)


def test_a_changed_digest_time_applies_to_what_is_queued_already(db):
    stored = {"categories": {"learning": {"email": "daily"}, "events": {"email": "weekly"}}}
    plan_event(db, make_event(events.COURSE_ENROLLED, user_id="u1", title="A"), stored=stored)
    plan_event(db, make_event(events.EVENT_REGISTERED, user_id="u1", title="Meetup"), stored=stored)
    queued = db.notifications.find({"status": "queued"})
    assert sorted(doc["frequency"] for doc in queued) == ["daily", "weekly"]
    at_noon = outbox.DigestSchedule(hour=12.0, weekday=0)  # NOW is Monday 10:00
    assert outbox.due_digest_groups(db, NOW + timedelta(hours=1), at_noon) == {}
    groups = outbox.due_digest_groups(db, NOW + timedelta(hours=2), at_noon)
    # Both are due at Monday noon (the weekly one too, it is a Monday): one digest.
    assert list(groups) == [("u1", "email", "a@x.io", datetime(2026, 11, 23, 12, tzinfo=UTC))]
    assert sorted(item["subject"] for item in groups[next(iter(groups))]) == ["You are enrolled", "You are registered"]
    at_nine = outbox.DigestSchedule(hour=9.0, weekday=0)  # already passed today when they were queued
    assert outbox.due_digest_groups(db, NOW + timedelta(hours=12), at_nine) == {}
    tomorrow_nine = NOW + timedelta(hours=23)
    assert [len(items) for items in outbox.due_digest_groups(db, tomorrow_nine, at_nine).values()] == [1]
