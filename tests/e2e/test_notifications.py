"""Notifications over HTTP on real RabbitMQ, with email through a local SendGrid stand-in.

The notifications service runs in its own container (the rest of the platform
in one runner) so a test can kill it and start it again. Events the training
service will publish are published here with Nameko's standalone dispatcher,
exactly as training publishes them: that is the broker contract.
"""

import copy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import eventlet
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends
from nameko.standalone.events import event_dispatcher

from common import events
from common.clock import utcnow
from common.events import make_event
from notifications.local_times import local_time
from notifications.service import NotificationsService
from tests.conftest import all_service_classes
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.sendgrid_standin import SendGridStandIn


@pytest.fixture
def sendgrid():
    standin = SendGridStandIn()
    yield standin
    standin.close()


@pytest.fixture
def notifications_config(platform_config, sendgrid):
    config = copy.deepcopy(platform_config)
    config["NOTIFICATIONS"] = {
        **config["NOTIFICATIONS"],
        "EMAIL_BACKEND": "sendgrid",
        "SENDGRID_BASE_URL": sendgrid.base_url,
        "SENDGRID_API_KEY": sendgrid.api_key,
        "RETRY_INTERVAL": 0.2,
        "DIGEST_INTERVAL": 0.2,
        "SEND_LEASE_SECONDS": 1,
        # Small pages, so an announcement to a handful of people goes through several pages of users.
        "ANNOUNCEMENT_PAGE_SIZE": 2,
    }
    return config


class Notifications:
    """The notifications service in a container of its own: start, kill, start again."""

    def __init__(self, container_factory, config):
        self.container_factory = container_factory
        self.config = config
        self.container = None

    def start(self, **overrides):
        self.container = self.container_factory(NotificationsService, {**self.config, **overrides})
        self.container.start()

    def kill(self):
        self.container.kill()


@pytest.fixture
def notifications(container_factory, notifications_config):
    return Notifications(container_factory, notifications_config)


@pytest.fixture
def api(runner_factory, notifications_config, notifications):
    others = [cls for cls in all_service_classes() if cls is not NotificationsService]
    runner_factory(notifications_config, *others).start()
    notifications.start()
    with ApiClient(f"http://{notifications_config['WEB_SERVER_ADDRESS']}") as client:
        yield client


def publish(config, service, event_type, user_id, course_id=None, event_id=None, **metadata):
    """Publish an event exactly as ``service`` does (its exchange, the envelope of common/events.py)."""
    event = make_event(event_type, user_id=user_id, course_id=course_id, **metadata)
    if event_id is not None:
        event["event_id"] = event_id
    event_dispatcher(config)(service, event_type, event)
    return event


def wait_until(predicate, timeout=15):
    with eventlet.Timeout(timeout):
        while not (result := predicate()):
            eventlet.sleep(0.05)
        return result


def inbox(api, token, **params):
    response = api.get("/notifications", token=token, params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def deliveries(api, admin, **params):
    response = api.get("/notifications/deliveries", token=admin, params={"page_size": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()["data"]["items"]


def test_registration_code_is_emailed_through_sendgrid_and_confirms_the_account(api, sendgrid):
    registered = api.post(
        "/users/register", json={"email": "lee@example.com", "password": "learner-pass-1", "name": "Lee"}
    )
    assert registered.status_code == 201, registered.text

    email = sendgrid.wait_for("lee@example.com", containing="confirmation code")
    assert email["subject"] == "Confirm your account"
    assert email["from"] == "no-reply@lnd.example"
    code = email["text"].split("code is ")[1].rstrip(".")
    assert code.isdigit()

    confirmed = api.post("/users/confirm-registration", json={"email": "lee@example.com", "code": code})
    assert confirmed.status_code == 200, confirmed.text
    token = api.login("lee@example.com", "learner-pass-1")["access_token"]
    # The confirmation becomes a welcome, by email and in the app.
    sendgrid.wait_for("lee@example.com", containing="confirmed")
    messages = wait_until(lambda: inbox(api, token)["items"])
    assert [m["subject"] for m in messages] == ["Welcome aboard"]
    # The code went by email only, and its stored copy is blanked once sent.
    assert all("code" not in m["text"] for m in messages)


def test_email_switched_off_for_a_category_leaves_only_the_in_app_message(api, sendgrid, notifications_config):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    quiet, quiet_token = make_user(api, admin, "quiet@example.com", "Quiet")
    chatty, chatty_token = make_user(api, admin, "chatty@example.com", "Chatty")

    # Security messages cannot be switched off; learning email can.
    assert_error(
        api.put("/notifications/preferences", token=quiet_token, json={"categories": {"security": {"email": "never"}}}),
        400,
        "VALIDATION_ERROR",
    )
    changed = api.put(
        "/notifications/preferences", token=quiet_token, json={"categories": {"learning": {"email": "never"}}}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["categories"]["learning"] == {
        "email": "never",
        "in_app": "immediately",
        "sms": "never",
        "push": "never",
    }
    assert api.get("/notifications/preferences", token=quiet_token).json()["data"]["categories"]["learning"][
        "email"
    ] == ("never")

    for user in (quiet, chatty):
        publish(
            notifications_config, "training", events.COURSE_ENROLLED, user["id"], course_id="c-1", title="Python 101"
        )

    enrolled = sendgrid.wait_for("chatty@example.com", containing="Python 101")
    assert enrolled["subject"] == "You are enrolled"
    quiet_inbox = wait_until(
        lambda: [m for m in inbox(api, quiet_token)["items"] if m["event_type"] == "COURSE_ENROLLED"]
    )
    assert quiet_inbox[0]["text"] == "You are enrolled in Python 101."
    assert [m["event_type"] for m in inbox(api, chatty_token)["items"]].count("COURSE_ENROLLED") == 1
    # Every channel's message of an event is stored at once: quiet has the in-app one and no email at all.
    quiet_enrolment = [d for d in deliveries(api, admin, user_id=quiet["id"]) if d["event_type"] == "COURSE_ENROLLED"]
    assert [d["channel"] for d in quiet_enrolment] == ["in_app"]
    assert not [m for m in sendgrid.to("quiet@example.com") if "Python 101" in m["text"]]

    # Reading: one, then all; the unread filter follows.
    wait_until(lambda: inbox(api, quiet_token, unread=True)["total"] == 2)  # welcome + enrolment
    first = api.post(f"/notifications/{quiet_inbox[0]['id']}/read", token=quiet_token)
    assert first.status_code == 200 and first.json()["data"]["read"] is True
    assert inbox(api, quiet_token, unread=True)["total"] == 1
    assert api.post("/notifications/read-all", token=quiet_token).json()["data"]["updated"] == 1
    assert inbox(api, quiet_token, unread=True)["total"] == 0
    # Nobody reads someone else's message.
    assert_error(api.post(f"/notifications/{quiet_inbox[0]['id']}/read", token=chatty_token), 404, "NOT_FOUND")


def test_killed_service_loses_no_message_and_sends_none_twice(api, sendgrid, notifications, notifications_config):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    learners = [make_user(api, admin, f"learner{n}@example.com", f"Learner {n}")[0] for n in range(4)]
    for learner in learners:
        sendgrid.wait_for(learner["email"], containing="account is ready")

    notifications.kill()
    # While it is down, events keep coming: the durable queue of each handler keeps them.
    published = [
        publish(notifications_config, "training", events.COURSE_COMPLETED, learner["id"], title=f"Course {n}")
        for n, learner in enumerate(learners)
    ]
    registered = api.post("/users/register", json={"email": "late@example.com", "password": "late-password-1"})
    assert registered.status_code == 201
    # The broker redelivers some of them (as after a crash between handling and acknowledging).
    for event in published[:2]:
        event_dispatcher(notifications_config)("training", events.COURSE_COMPLETED, event)

    # One worker, so the queue is consumed in order and a duplicate is handled before what follows it.
    notifications.start(max_workers=1)
    sentinel = publish(notifications_config, "training", events.COURSE_COMPLETED, learners[0]["id"], title="Last")
    sendgrid.wait_for(learners[0]["email"], containing="Last")
    sendgrid.wait_for("late@example.com", containing="confirmation code")
    for n, learner in enumerate(learners):
        completed = [m for m in sendgrid.to(learner["email"]) if f"Course {n}" in m["text"]]
        assert len(completed) == 1, completed
    assert len(sendgrid.to("late@example.com")) == 1
    assert sentinel["event_id"] not in {e["event_id"] for e in published}


def test_killed_in_the_middle_of_a_stream_of_events_loses_none_and_sends_none_twice(
    api, sendgrid, notifications, notifications_config
):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    for key, value in (("retry_backoff_seconds", 0), ("max_attempts", 20)):
        assert api.put(f"/admin/settings/notifications.{key}", token=admin, json={"value": value}).status_code == 200
    learners = [make_user(api, admin, f"stream{n}@example.com", f"Stream {n}")[0] for n in range(3)]
    for learner in learners:
        sendgrid.wait_for(learner["email"], containing="account is ready")

    # While the service dies, SendGrid answers 503: nothing is half-sent (accepted by the provider
    # but not yet recorded), so every message must arrive exactly once whatever the kill interrupts.
    sendgrid.fail_next(503, times=100_000)
    published = []

    def stream():
        for n in range(30):
            learner = learners[n % 3]
            published.append(
                publish(notifications_config, "training", events.COURSE_COMPLETED, learner["id"], title=f"Stream {n}!")
            )
            eventlet.sleep(0.01)

    publisher = eventlet.spawn(stream)
    wait_until(lambda: len(published) >= 10)
    notifications.kill()  # handlers in flight die with it; their messages go back to the queue
    publisher.wait()
    sendgrid.recover()
    notifications.start()

    for n in range(30):
        sendgrid.wait_for(learners[n % 3]["email"], containing=f"Stream {n}!")
    totals = wait_until(
        lambda: (
            (
                s := api.get("/admin/dashboard", token=admin).json()["data"]["services"]["notifications"]["by_status"]
            ).get("pending", 0)
            == 0
            and s
        )
    )
    assert "failed" not in totals
    for n in range(30):
        delivered = [m for m in sendgrid.to(learners[n % 3]["email"]) if f"Stream {n}!" in m["text"]]
        assert len(delivered) == 1, (n, delivered)


def test_failed_sends_are_retried_with_backoff_and_kept_when_they_fail_for_good(api, sendgrid, notifications_config):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    for key, value in (("retry_backoff_seconds", 0), ("max_attempts", 3)):
        changed = api.put(f"/admin/settings/notifications.{key}", token=admin, json={"value": value})
        assert changed.status_code == 200, changed.text
    steady, _ = make_user(api, admin, "steady@example.com", "Steady")
    bounced, _ = make_user(api, admin, "bounced@example.com", "Bounced")
    down, _ = make_user(api, admin, "down@example.com", "Down")
    # Every welcome is out before failures are scripted, so the failures meet the messages meant.
    for address in ("steady@example.com", "bounced@example.com", "down@example.com"):
        sendgrid.wait_for(address, containing="account is ready")

    # SendGrid is unavailable twice, then accepts: the message goes out on the third attempt.
    sendgrid.fail_next(503, times=2)
    publish(notifications_config, "training", events.CERTIFICATE_ISSUED, steady["id"], title="Rust")
    sendgrid.wait_for("steady@example.com", containing="Rust")
    sent = wait_until(
        lambda: [
            d
            for d in deliveries(api, admin, user_id=steady["id"], channel="email", status="sent")
            if d["event_type"] == "CERTIFICATE_ISSUED"
        ]
    )
    assert sent[0]["attempt_count"] == 3
    assert [a["status_code"] for a in sent[0]["attempts"]] == [503, 503, None]

    # A refused address fails for good at once; a provider that stays down uses up the attempts.
    sendgrid.refuse("bounced@example.com", 400)
    sendgrid.refuse("down@example.com", 503)
    publish(notifications_config, "training", events.CERTIFICATE_ISSUED, bounced["id"], title="Go")
    publish(notifications_config, "training", events.CERTIFICATE_ISSUED, down["id"], title="Go")
    failed = wait_until(
        lambda: len(deliveries(api, admin, status="failed")) == 2 and deliveries(api, admin, status="failed")
    )
    by_user = {d["user_id"]: d for d in failed}
    assert by_user[bounced["id"]]["attempt_count"] == 1
    assert "SendGrid answered 400" in by_user[bounced["id"]]["last_error"]
    assert by_user[down["id"]]["attempt_count"] == 3
    assert "SendGrid answered 503" in by_user[down["id"]]["last_error"]
    assert by_user[down["id"]]["text"] == "Your certificate for Go is ready to download."

    # The dashboard sees it.
    dashboard = api.get("/admin/dashboard", token=admin).json()["data"]["services"]["notifications"]
    assert dashboard["by_status"]["failed"] == 2


def test_sms_and_push_go_through_sns_for_the_categories_that_want_them(api, notifications, notifications_config):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    mobile, token = make_user(api, admin, "mobile@example.com", "Mobile")
    with mock_aws():
        sns = boto3.client("sns", region_name="us-east-1")
        app = sns.create_platform_application(Name="app", Platform="GCM", Attributes={"PlatformCredential": "k"})
        endpoint = sns.create_platform_endpoint(PlatformApplicationArn=app["PlatformApplicationArn"], Token="phone-1")
        # The service's SNS client is made at start: restart it inside the mocked AWS, with SNS as the backend.
        notifications.kill()
        notifications.start(NOTIFICATIONS={**notifications_config["NOTIFICATIONS"], "SMS_BACKEND": "sns"})
        assert_error(
            api.put("/notifications/preferences", token=token, json={"phone": "555-1234"}), 400, "VALIDATION_ERROR"
        )
        changed = api.put(
            "/notifications/preferences",
            token=token,
            json={
                "phone": "+15550001111",
                "push_endpoint": endpoint["EndpointArn"],
                "categories": {"events": {"sms": "immediately", "push": "immediately", "email": "never"}},
            },
        )
        assert changed.status_code == 200, changed.text
        publish(notifications_config, "events", events.EVENT_REMINDER, mobile["id"], title="Demo day", starts_at="9:00")

        backend = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
        texts = wait_until(lambda: list(backend.sms_messages.values()))
        assert texts == [("+15550001111", "Reminder: Demo day: Demo day starts 9:00.")]
        pushed = wait_until(lambda: list(backend.platform_endpoints[endpoint["EndpointArn"]].messages.values()))
        assert pushed == ["Reminder: Demo day: Demo day starts 9:00."]
        reminder = wait_until(
            lambda: [d for d in deliveries(api, admin, user_id=mobile["id"]) if d["event_type"] == "EVENT_REMINDER"]
        )
        assert sorted(d["channel"] for d in reminder) == ["in_app", "push", "sms"]


def test_admin_announcement_reaches_a_role(api, sendgrid, notifications_config):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    _, coach_token = make_user(api, admin, "coach@example.com", "Coach", roles=["coach"])
    _, learner_token = make_user(api, admin, "pupil@example.com", "Pupil")
    learner_only = api.post("/notifications", token=learner_token, json={"subject": "Hi", "text": "All"})
    assert_error(learner_only, 403, "FORBIDDEN")
    sent = api.post("/notifications", token=admin, json={"subject": "Coaches meet", "text": "Friday", "role": "coach"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["data"]["recipients"] == 1
    sendgrid.wait_for("coach@example.com", containing="Friday")
    assert [m["subject"] for m in inbox(api, coach_token)["items"]][0] == "Coaches meet"
    assert "Coaches meet" not in [m["subject"] for m in inbox(api, learner_token)["items"]]
    everyone = api.post("/notifications", token=admin, json={"subject": "Maintenance", "text": "Sunday 2:00"})
    assert everyone.json()["data"]["recipients"] == 3  # the admin, the coach and the learner
    sendgrid.wait_for("pupil@example.com", containing="Sunday 2:00")
    sendgrid.wait_for(ADMIN[0], containing="Sunday 2:00")
    assert "Maintenance" in [m["subject"] for m in inbox(api, learner_token)["items"]]


def create_course(api, instructor, title):
    created = api.post(
        "/training/courses",
        token=instructor,
        json={"title": title, "modules": [{"title": "M", "lessons": [{"title": "L", "type": "text", "content": "x"}]}]},
    )
    assert created.status_code == 201, created.text
    course = created.json()["data"]
    assert api.post(f"/training/courses/{course['id']}/publish", token=instructor).status_code == 200
    return course


def test_a_daily_digest_gathers_a_categorys_emails_into_one(api, sendgrid, notifications_config):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy", roles=["instructor"])
    learner, token = make_user(api, admin, "dee@example.com", "Dee")
    sendgrid.wait_for("dee@example.com", containing="account is ready")

    def digest_time(moment):
        """Daily digests go out at ``moment``'s time of day (UTC), from now on (an admin's runtime setting)."""
        hours = (moment - moment.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 3600
        changed = api.put("/admin/settings/notifications.digest_hour_utc", token=admin, json={"value": hours})
        assert changed.status_code == 200, changed.text

    # Twelve hours away while the messages come, so that no digest time passes meanwhile.
    digest_time(utcnow() + timedelta(hours=12))
    assert_error(
        api.put("/admin/settings/notifications.digest_hour_utc", token=admin, json={"value": 25}),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(
        api.put("/notifications/preferences", token=token, json={"categories": {"learning": {"email": "hourly"}}}),
        400,
        "VALIDATION_ERROR",
    )
    changed = api.put("/notifications/preferences", token=token, json={"categories": {"learning": {"email": "daily"}}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["categories"]["learning"] == {
        "email": "daily",
        "in_app": "immediately",
        "sms": "never",
        "push": "never",
    }

    # Two enrollments (training publishes COURSE_ENROLLED): in the app at once, by email only in the digest.
    for title in ("Rust", "Go"):
        course = create_course(api, instructor, title)
        assert api.post(f"/training/courses/{course['id']}/enroll", token=token).status_code == 201

    def enrolment_emails():
        found = deliveries(api, admin, user_id=learner["id"], channel="email")
        return [d for d in found if d["event_type"] == "COURSE_ENROLLED"]

    queued = wait_until(lambda: len(found := enrolment_emails()) == 2 and found)
    assert {(d["status"], d["frequency"]) for d in queued} == {("queued", "daily")}
    in_app = [m for m in inbox(api, token)["items"] if m["event_type"] == "COURSE_ENROLLED"]
    assert sorted(m["text"] for m in in_app) == ["You are enrolled in Go.", "You are enrolled in Rust."]
    assert not [m for m in sendgrid.to("dee@example.com") if "enrolled" in m["text"]]

    # The digest time comes (now): one email with both.
    digest_time(utcnow())
    digest = sendgrid.wait_for("dee@example.com", containing="You are enrolled in Rust.")
    assert digest["subject"] == "Your digest: 2 updates"
    assert sorted(digest["text"].splitlines()) == [
        "- You are enrolled: You are enrolled in Go.",
        "- You are enrolled: You are enrolled in Rust.",
    ]
    assert {d["status"] for d in enrolment_emails()} == {"digested"}
    sent = wait_until(
        lambda: [
            d
            for d in deliveries(api, admin, user_id=learner["id"], channel="email", status="sent")
            if d["event_type"] == "DIGEST"
        ]
    )
    assert len(sent) == 1 and sent[0]["attempt_count"] == 1

    # What comes after the digest time waits for the next one; the first digest went out once.
    course = create_course(api, instructor, "Zig")
    assert api.post(f"/training/courses/{course['id']}/enroll", token=token).status_code == 201
    later = wait_until(lambda: [d for d in enrolment_emails() if d["status"] == "queued"])
    assert len(later) == 1 and "Zig" in later[0]["text"]
    digests = [m for m in sendgrid.to("dee@example.com") if m["subject"].startswith("Your digest")]
    assert len(digests) == 1
    assert "Zig" not in digests[0]["text"]


def test_an_announcement_to_everyone_reaches_each_active_user_once_page_by_page(api, sendgrid, notifications_config):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    people = [make_user(api, admin, f"all{n}@example.com", f"All {n}")[0] for n in range(4)]
    disabled = people.pop()
    assert api.put(f"/users/{disabled['id']}", token=admin, json={"status": "disabled"}).status_code == 200
    for person in people:
        sendgrid.wait_for(person["email"], containing="account is ready")

    assert_error(
        api.post("/notifications", token=admin, json={"subject": "Hi", "role": "wizard"}), 400, "VALIDATION_ERROR"
    )
    assert_error(api.post("/notifications", token=admin, json={"text": "no subject"}), 400, "VALIDATION_ERROR")
    sent = api.post("/notifications", token=admin, json={"subject": "Maintenance", "text": "Down on Sunday"})
    assert sent.status_code == 201, sent.text
    # The answer counts the active audience: the admin and three people (two pages of two for the timer).
    assert sent.json()["data"]["recipients"] == 4

    for address in [person["email"] for person in people] + [ADMIN[0]]:
        sendgrid.wait_for(address, containing="Down on Sunday")

    def settled():
        stats = api.get("/admin/dashboard", token=admin).json()["data"]["services"]["notifications"]
        return stats["announcements_pending"] == 0 and stats["by_status"].get("pending", 0) == 0

    wait_until(settled)
    for address in [person["email"] for person in people] + [ADMIN[0]]:
        assert len([m for m in sendgrid.to(address) if "Down on Sunday" in m["text"]]) == 1, address
    assert not [d for d in deliveries(api, admin, user_id=disabled["id"]) if d["event_type"] == "ANNOUNCEMENT"]


def test_a_new_follower_is_named_in_the_message(api, sendgrid, notifications_config):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    ann, ann_token = make_user(api, admin, "ann@example.com", "Ann")
    _, bob_token = make_user(api, admin, "bob@example.com", "Bob Builder")
    assert api.post(f"/users/{ann['id']}/follow", token=bob_token).status_code == 200
    email = sendgrid.wait_for("ann@example.com", containing="now follows you")
    assert email["subject"] == "You have a new follower"
    assert email["text"].startswith("Bob Builder now follows you.\n\n--\nYou get these emails about social.")
    followed = wait_until(lambda: [m for m in inbox(api, ann_token)["items"] if m["event_type"] == "USER_FOLLOWED"])
    assert followed[0]["text"] == "Bob Builder now follows you."


def test_a_locked_account_is_told_by_email_and_an_unknown_identifier_locks_silently(
    api, sendgrid, notifications_config
):
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    assert api.put("/admin/settings/auth.max_failed_logins", token=admin, json={"value": 2}).status_code == 200
    make_user(api, admin, "locked@example.com", "Lou")
    for identifier in ("locked@example.com", "nobody@example.com"):
        for _ in range(2):
            api.post("/auth/login", json={"identifier": identifier, "password": "not-the-password"})
    email = sendgrid.wait_for("locked@example.com", containing="locked")
    assert email["subject"] == "Sign-ins to your account are locked at one address"
    assert sendgrid.to("nobody@example.com") == []


def test_registrants_are_told_when_an_event_moves_and_not_when_only_its_capacity_changes(
    api, sendgrid, notifications_config
):
    from tests.e2e.test_events import _event_body

    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    organiser, organiser_token = make_user(api, admin, "host@example.com", "Hal Host", roles=["instructor"])
    learners = [make_user(api, admin, f"guest{n}@example.com", f"Guest {n}") for n in range(3)]
    event = api.post("/events", token=organiser_token, json=_event_body(timedelta(days=10), capacity=2)).json()["data"]
    for _, token in learners:  # two registered, one waitlisted
        assert api.post(f"/events/{event['id']}/register", token=token).status_code == 200
    for learner, _ in learners:
        sendgrid.wait_for(learner["email"], containing="Leading remote teams")

    bigger = api.put(f"/events/{event['id']}", token=organiser_token, json={"capacity": 3})
    assert bigger.status_code == 200, bigger.text
    later = (utcnow() + timedelta(days=11)).replace(microsecond=0)
    moved = api.put(
        f"/events/{event['id']}",
        token=organiser_token,
        json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    for learner, _ in learners:
        email = sendgrid.wait_for(learner["email"], containing="has changed")
        assert email["subject"] == "Event changed: Leading remote teams"
        assert local_time(later, "UTC", "en") in email["text"]  # their profiles name no zone: UTC, in English
        assert len([m for m in sendgrid.to(learner["email"]) if "has changed" in m["text"]]) == 1
    assert [m for m in sendgrid.to("host@example.com") if "has changed" in m["text"]] == []


def test_an_event_for_many_people_reaches_each_once_through_the_outbox(
    api, sendgrid, notifications, notifications_config
):
    """Above INLINE_SEND_RECIPIENTS the handler only stores the messages (addresses asked of users a page at a
    time, ``users.get_accounts`` over the broker) and the outbox timer sends them."""
    notifications.kill()
    notifications.start(NOTIFICATIONS={**notifications_config["NOTIFICATIONS"], "INLINE_SEND_RECIPIENTS": 1})
    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    host, _ = make_user(api, admin, "organiser@example.com", "Olga", roles=["instructor"])
    guests = [make_user(api, admin, f"many{n}@example.com", f"Many {n}")[0] for n in range(3)]
    quiet, quiet_token = make_user(api, admin, "no-email@example.com", "Quiet")
    changed = api.put(
        "/notifications/preferences", token=quiet_token, json={"categories": {"events": {"email": "never"}}}
    )
    assert changed.status_code == 200, changed.text
    for person in [host, *guests]:
        sendgrid.wait_for(person["email"], containing="account is ready")

    # Everyone registered or waiting, as events names them, and ids that name nobody (an account deleted since).
    nobody = "00000000-0000-0000-0000-000000000000"
    cancelled = publish(
        notifications_config,
        "events",
        events.EVENT_CANCELLED,
        host["id"],
        title="Big meetup",
        recipient_ids=[guest["id"] for guest in guests] + [quiet["id"], nobody, "not-an-id"],
    )
    for person in [host, *guests]:
        sendgrid.wait_for(person["email"], containing="Big meetup is cancelled")

    def stored():
        return [d for d in deliveries(api, admin) if d["event_id"] == cancelled["event_id"]]

    # Every email of the event is sent (the outbox timer), to the host and the guests; quiet wants none, and the
    # ids of nobody have no address.
    emails = wait_until(
        lambda: len(found := [d for d in stored() if d["channel"] == "email" and d["status"] == "sent"]) == 4 and found
    )
    assert sorted(d["user_id"] for d in emails) == sorted(person["id"] for person in [host, *guests])
    assert [d for d in stored() if d["channel"] == "email" and d["status"] != "sent"] == []
    in_app = {d["user_id"] for d in stored() if d["channel"] == "in_app"}
    assert {person["id"] for person in [host, *guests, quiet]} <= in_app
    for person in [host, *guests]:
        assert len([m for m in sendgrid.to(person["email"]) if "Big meetup" in m["text"]]) == 1
    assert not [m for m in sendgrid.to(quiet["email"]) if "Big meetup" in m["text"]]


def test_a_learner_in_tokyo_reads_the_start_in_tokyo_time_in_an_html_email_with_one_click_unsubscribe(
    api, sendgrid, notifications_config
):
    from tests.e2e.test_events import _event_body

    create_admin(notifications_config)
    admin = api.login(*ADMIN)["access_token"]
    _, host = make_user(api, admin, "tokyo.host@example.com", "Hana Host", roles=["instructor"])
    _, learner = make_user(api, admin, "tokyo@example.com", "Taro")
    chosen = api.put("/users/preferences", token=learner, json={"timezone": "Asia/Tokyo", "language": "en-GB"})
    assert chosen.json()["data"]["timezone"] == "Asia/Tokyo"
    assert api.get("/users/profile", token=learner).json()["data"]["timezone"] == "Asia/Tokyo"  # one place
    event = api.post("/events", token=host, json=_event_body(timedelta(days=3))).json()["data"]
    assert api.post(f"/events/{event['id']}/register", token=learner).status_code == 200

    email = sendgrid.wait_for("tokyo@example.com", containing="registered")
    start = datetime.fromisoformat(event["starts_at"].replace("Z", "+00:00"))
    in_tokyo = start.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"{in_tokyo:%H:%M} (Asia/Tokyo)" in email["text"] and f"{in_tokyo.day} " in email["text"]
    assert local_time(start, "Asia/Tokyo", "en-GB") in email["text"]
    assert event["starts_at"] not in email["text"]  # never the bare UTC instant
    # The in-app copy says the same.
    items = inbox(api, learner)["items"]
    assert any(local_time(start, "Asia/Tokyo", "en-GB") in item["text"] for item in items)

    # An HTML part and a text part, and a one-click unsubscribe (RFC 8058) that needs no login.
    assert email["content_types"] == ["text/plain", "text/html"]
    assert "<html" in email["html"] and local_time(start, "Asia/Tokyo", "en-GB") in email["html"]
    assert email["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = email["headers"]["List-Unsubscribe"].strip("<>")
    assert link in email["text"] and link.replace("&", "&amp;") in email["html"]
    path = link[link.index("/notifications/unsubscribe") :]
    page = api.get(path, headers={"Accept": "text/html"})  # what the link in the body opens: nothing changes yet
    assert page.status_code == 200 and "Unsubscribe from events emails" in page.text
    assert (
        api.get("/notifications/preferences", token=learner).json()["data"]["categories"]["events"]["email"] != "never"
    )
    assert_error(api.post(path[:-3] + "abc", data="List-Unsubscribe=One-Click"), 400, "VALIDATION_ERROR")
    done = api.post(
        path, data="List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert done.status_code == 200 and done.json()["data"] == {
        "category": "events",
        "channel": "email",
        "unsubscribed": True,
    }
    assert (
        api.get("/notifications/preferences", token=learner).json()["data"]["categories"]["events"]["email"] == "never"
    )
    # The next event message reaches the app, not the mailbox.
    other = api.post("/events", token=host, json=_event_body(timedelta(days=4), title="Second")).json()["data"]
    assert api.post(f"/events/{other['id']}/register", token=learner).status_code == 200
    wait_until(lambda: any("Second" in item["text"] for item in inbox(api, learner)["items"]))
    assert [m for m in sendgrid.to("tokyo@example.com") if "Second" in m["text"]] == []
