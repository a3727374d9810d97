"""Engagement's rules on mongomock: log, points once, badges, streaks, feedback, rate limit; the service class."""

import base64
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import mongomock
import pytest
from nameko.testing.services import worker_factory

from common import events
from common.clock import utcnow
from common.events import make_event
from common.exceptions import Forbidden, RateLimited, ValidationError
from common.inbox import LEASE, RETRY_DELAY
from engagement import activity, feedback, gamification, tracking
from engagement.service import MAX_ATTEMPTS, EngagementService
from engagement.store import ensure_indexes
from tests.support.callers import caller as support_caller

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.fixture
def db():
    database = mongomock.MongoClient()["engagement"]
    ensure_indexes(database)
    return database


def caller(user_id=None, roles=("learner",)):
    """No user: an internal call; a user: a learner unless ``roles`` say otherwise."""
    return support_caller(user_id, roles if user_id is not None else ())


class Consumption:
    def __init__(self, lease=LEASE, max_attempts=MAX_ATTEMPTS):
        self.lease = lease
        self.max_attempts = max_attempts
        self.retry_delay = RETRY_DELAY
        self.requeue_delay = 0


def service(db, who=None, consumption=None):
    settings = {gamification.setting_name(a): p for a, p in gamification.DEFAULT_POINTS.items()}
    settings["track_rate_limit_per_minute"] = 2
    return worker_factory(
        EngagementService, db=db, caller=who or caller(), settings=settings, consumption=consumption or Consumption()
    )


def badges_published(worker):
    """The envelopes the worker published (``self.events`` is a mock here: rebuild them from its calls)."""
    return [make_event(*c.args, **c.kwargs) for c in worker.events.call_args_list if c.args[0] == events.BADGE_AWARDED]


def test_subscriptions_name_known_event_types():
    # Every type listed in common/events.py when this was written; a new type needs a row in activity.SOURCES.
    assert set(activity.SOURCE_OF) <= set(events.EVENT_TYPES)
    assert len(activity.SOURCE_OF) >= 38


def test_the_log_records_once_and_keeps_no_secrets(db):
    event = make_event(events.PASSWORD_RESET_REQUESTED, user_id="u1", email="a@x.io", code="123456")
    assert activity.record(db, event, NOW)
    assert not activity.record(db, event, NOW)
    entry = activity.log_view(db.activity_log.find_one())
    assert entry["metadata"] == {"email": "a@x.io"} and entry["service"] == "auth"


def test_points_once_per_thing_done_and_badges_once(db):
    worker = service(db)
    lesson = make_event(events.LESSON_COMPLETED, user_id="u1", course_id="c1", lesson_id="l1")
    worker.handle_event(lesson)
    worker.handle_event(lesson)  # redelivered
    worker.handle_event(make_event(events.LESSON_COMPLETED, user_id="u1", course_id="c1", lesson_id="l1"))
    assert db.points.count_documents({}) == 1
    assert db.badges.count_documents({"user_id": "u1"}) == 1
    badge_events = badges_published(worker)
    assert len(badge_events) == 1 and badge_events[0]["metadata"]["badge"] == "first_lesson"
    assert badge_events[0]["user_id"] == "u1" and badge_events[0]["metadata"]["badge_name"] == "First steps"
    for n in range(5):
        worker.handle_event(make_event(events.SESSION_COMPLETED, user_id="u1", session_id=f"s{n}"))
    assert "five_sessions" in {b["code"] for b in gamification.badges_of(db, "u1")["earned"]}
    assert gamification.points_of(db, "u1", NOW - timedelta(days=365))["total"] == 5 + 5 * 15


def test_a_seven_day_streak(db):
    days = {(date(2026, 11, 23) - timedelta(days=n)).isoformat() for n in range(7)}
    assert gamification.streak_ending(days, date(2026, 11, 23)) == 7
    assert gamification.streak_ending(days - {"2026-11-20"}, date(2026, 11, 23)) == 3
    for day in sorted(days):
        activity.mark_learning_day(db, "u1", day)
    earned = gamification.earned_badges(db, "u1", "TRACKED_LESSON_VIEW", date(2026, 11, 23))
    assert gamification.SEVEN_DAY_STREAK in earned


def test_leaderboard_orders_by_points_and_filters_by_course_and_week(db):
    gamification.award_points(db, "a", "enroll", 10, "course=c1", NOW, course_id="c1")
    gamification.award_points(db, "b", "enroll", 30, "course=c2", NOW - timedelta(days=30), course_id="c2")
    assert [row["user_id"] for row in gamification.leaderboard(db)] == ["b", "a"]
    assert [row["user_id"] for row in gamification.leaderboard(db, since=NOW - timedelta(days=7))] == ["a"]
    assert [row["user_id"] for row in gamification.leaderboard(db, course_id="c2")] == ["b"]


def test_feedback_needs_participation_and_is_edited_in_place(db):
    with pytest.raises(ValidationError):
        feedback.parse_target("course")
    with pytest.raises(Forbidden):
        feedback.give(db, "u1", "event", "e1", 5, None, NOW)
    activity.remember_facts(db, make_event(events.EVENT_REGISTERED, user_id="u1", event_id="e1"))
    first, created = feedback.give(db, "u1", "event", "e1", 5, "Nice", NOW)
    again, created_again = feedback.give(db, "u1", "event", "e1", 3, None, NOW)
    assert created and not created_again and first["id"] == again["id"]
    items, total, average = feedback.listing(db, "event", "e1", 0, 10)
    assert total == 1 and average == 3


def test_tracking_rate_limit_per_user(db):
    now = utcnow().replace(second=0)  # the start of a window: all four hits fall in it
    tracking.hit(db, "u1", 2, now)
    tracking.hit(db, "u1", 2, now)
    tracking.hit(db, "u2", 2, now)
    with pytest.raises(RateLimited):
        tracking.hit(db, "u1", 2, now)
    tracking.hit(db, "u1", 2, now + timedelta(minutes=1))  # the next window


def test_service_rpcs_check_the_caller(db):
    with pytest.raises(Forbidden):
        service(db, caller("u1")).list_activity()
    admin = service(db, caller("adm", roles=("admin",)))
    service(db).handle_event(make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1"))
    assert admin.list_activity(type="COURSE_ENROLLED")["total"] == 1
    assert admin.list_activity(**{"from": "2999-01-01"})["total"] == 0
    with pytest.raises(ValidationError):
        admin.get_metrics(**{"from": "2026-11-23", "to": "2026-11-01"})
    learner = service(db, caller("u1"))
    assert learner.my_points()["total"] == 10
    learner.track(type="page_view")
    with pytest.raises(ValidationError):
        learner.track(type="click", properties={"a.b": 1})


def test_leaderboard_names_follow_profile_changes(db):
    worker = service(db)
    worker.handle_event(make_event(events.USER_REGISTERED, user_id="u1", name="Old"))
    worker.handle_event(make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1"))
    assert gamification.leaderboard(db)[0]["name"] == "Old"
    worker.users.get_account.return_value = {"id": "u1", "name": "New"}
    worker.handle_event(make_event(events.USER_UPDATED, user_id="u1", fields=["bio"]))
    assert not worker.users.get_account.called
    worker.handle_event(make_event(events.USER_UPDATED, user_id="u1", fields=["name"]))
    assert gamification.leaderboard(db)[0]["name"] == "New"
    worker.handle_event(make_event(events.USER_DELETED, user_id="u1"))
    assert gamification.leaderboard(db) == []
    assert db.activity_log.count_documents({"user_id": "u1"}) == 5


def test_leaderboard_leaves_out_whoever_turned_show_on_leaderboard_off(db):
    worker = service(db)
    for user, points in (("u1", "c1"), ("u2", "c2"), ("u3", "c3")):
        worker.handle_event(make_event(events.USER_REGISTERED, user_id=user, name=user.upper()))
        worker.handle_event(make_event(events.COURSE_ENROLLED, user_id=user, course_id=points))
    assert [row["user_id"] for row in gamification.leaderboard(db, limit=2)] == ["u1", "u2"]

    off = make_event(events.USER_UPDATED, user_id="u1", fields=["preferences.show_on_leaderboard"])
    off["metadata"]["preferences"] = {"show_on_leaderboard": False, "theme": "dark"}
    worker.handle_event(off)
    # Left out, and the next one moves up: the limit counts the people shown.
    assert [(row["rank"], row["user_id"]) for row in gamification.leaderboard(db, limit=2)] == [(1, "u2"), (2, "u3")]
    assert [row["name"] for row in gamification.leaderboard(db)] == ["U2", "U3"]
    assert gamification.points_of(db, "u1", NOW - timedelta(days=365))["total"] == 10  # their points are kept

    # Another preference changing, or a name change, leaves the choice as it is.
    theme = make_event(events.USER_UPDATED, user_id="u1", fields=["preferences.theme"])
    theme["metadata"]["preferences"] = {"show_on_leaderboard": False, "theme": "light"}
    worker.handle_event(theme)
    worker.users.get_account.return_value = {"id": "u1", "name": "Renamed"}
    worker.handle_event(make_event(events.USER_UPDATED, user_id="u1", fields=["name"]))
    assert "u1" not in [row["user_id"] for row in gamification.leaderboard(db)]

    on = make_event(events.USER_UPDATED, user_id="u1", fields=["preferences.show_on_leaderboard"])
    on["metadata"]["preferences"] = {"show_on_leaderboard": True}
    # A change that arrives late (an older timestamp) does not undo a newer one.
    stale = dict(off, event_id="late-one", timestamp="2000-01-01T00:00:00.000Z")
    worker.handle_event(on)
    worker.handle_event(stale)
    assert [row["user_id"] for row in gamification.leaderboard(db)] == ["u1", "u2", "u3"]
    assert gamification.leaderboard(db)[0]["name"] == "Renamed"


def test_a_late_registration_does_not_undo_a_newer_name(db):
    worker = service(db)
    worker.users.get_account.return_value = {"id": "u1", "name": "New"}
    worker.handle_event(make_event(events.USER_UPDATED, user_id="u1", fields=["name"]))
    worker.handle_event(make_event(events.USER_REGISTERED, user_id="u1", name="Old"))
    worker.handle_event(make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1"))
    assert gamification.leaderboard(db)[0]["name"] == "New"


def _admin_event(event_type, moment, actor_id="admin-1", request_id="req-1", **fields):
    event = make_event(event_type, actor_id=actor_id, request_id=request_id, **fields)
    event["timestamp"] = moment.isoformat().replace("+00:00", "Z")
    return event


def test_the_log_keeps_actor_request_target_and_old_and_new_values(db):
    roles = _admin_event(events.USER_ROLES_CHANGED, NOW, user_id="u1", before=["learner"], after=["coach"])
    setting = _admin_event(
        events.SETTING_CHANGED,
        NOW + timedelta(minutes=1),
        request_id="req-2",
        key="auth.max_failed_logins",
        service="auth",
        old_value=5,
        new_value=3,
        default=5,
        created=False,
    )
    lesson = _admin_event(
        events.LESSON_UPDATED,
        NOW + timedelta(minutes=2),
        actor_id="admin-2",
        request_id="req-3",
        user_id="inst-1",
        course_id="c1",
        course_title="C",
        module_id="m1",
        module_title="M",
        lesson_id="l1",
        lesson_title="=HYPERLINK(1)",
        changes={"title": {"old": "A", "new": "B"}, "content": {"changed": True}, "secret_key": {"old": 1}},
    )
    for event in (roles, setting, lesson):
        assert activity.record(db, event, NOW)

    entries = {entry["action"]: entry for entry in activity.listing(db, activity.query_of(), 1, 10)["items"]}
    assert list(entries) == [events.LESSON_UPDATED, events.SETTING_CHANGED, events.USER_ROLES_CHANGED]  # newest first
    assert entries[events.USER_ROLES_CHANGED]["actor_id"] == "admin-1"
    assert entries[events.USER_ROLES_CHANGED]["user_id"] == "u1"  # the subject, not the actor
    assert entries[events.USER_ROLES_CHANGED]["target"] == {"type": "user", "id": "u1"}
    assert entries[events.USER_ROLES_CHANGED]["changes"] == {"roles": {"old": ["learner"], "new": ["coach"]}}
    assert entries[events.SETTING_CHANGED]["service"] == "auth" and entries[events.SETTING_CHANGED]["target"] == {
        "type": "setting",
        "id": "auth.max_failed_logins",
    }
    assert entries[events.SETTING_CHANGED]["changes"] == {"value": {"old": 5, "new": 3}}
    assert entries[events.LESSON_UPDATED]["changes"] == {  # no secret-looking field
        "title": {"old": "A", "new": "B"},
        "content": {"changed": True},
    }

    def actions(**query):
        return [entry["action"] for entry in activity.listing(db, activity.query_of(**query), 1, 10)["items"]]

    assert actions(actor_id="admin-1") == [events.SETTING_CHANGED, events.USER_ROLES_CHANGED]
    assert actions(action=events.SETTING_CHANGED) == actions(type=events.SETTING_CHANGED) == [events.SETTING_CHANGED]
    assert actions(target_type="lesson", target_id="l1") == [events.LESSON_UPDATED]
    assert actions(target_id="u1") == [events.USER_ROLES_CHANGED]
    assert actions(request_id="req-2") == [events.SETTING_CHANGED]
    assert actions(since=NOW + timedelta(minutes=1)) == [events.LESSON_UPDATED, events.SETTING_CHANGED]
    assert actions(from_=NOW, to=NOW) == [events.USER_ROLES_CHANGED]
    with pytest.raises(ValidationError):
        activity.query_of(action=events.SETTING_CHANGED, type=events.USER_DISABLED)
    with pytest.raises(ValidationError):
        activity.query_of(since=NOW, until=NOW - timedelta(days=1))

    exported = activity.export_csv(db, activity.query_of(actor_id="admin-2"))
    assert exported["content_type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(exported["body_base64"]).decode())))
    assert len(rows) == 1 and rows[0]["action"] == events.LESSON_UPDATED and rows[0]["request_id"] == "req-3"
    assert rows[0]["target_type"] == "lesson" and json.loads(rows[0]["changes"])["title"] == {"old": "A", "new": "B"}
    assert json.loads(rows[0]["metadata"])["lesson_title"] == "=HYPERLINK(1)"  # inside JSON: a cell not run
    # A cell a spreadsheet would run as a formula is made plain text.
    assert activity.csv_row({"action": "=1+1", "target": {"id": "@x"}})["action"] == "'=1+1"
    assert activity.csv_row({"target": {"id": "@x"}})["target_id"] == "'@x"


def test_events_from_before_actors_were_recorded_are_logged_without_them(db):
    old = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", title="Go")
    del old["actor_id"], old["request_id"]  # as an older publisher sent it
    assert activity.record(db, old, NOW)
    (entry,) = activity.listing(db, activity.query_of(), 1, 10)["items"]
    assert entry["actor_id"] is None and entry["request_id"] is None and entry["changes"] == {}
    assert entry["target"] == {"type": "course", "id": "c1"}
