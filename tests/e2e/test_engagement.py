"""Engagement over HTTP on real RabbitMQ: points, badges, leaderboard, the admin log, feedback, tracking, metrics.

Some events are published with Nameko's standalone dispatcher exactly as their
services publish them (the broker contract); the last tests go through the
publishing services themselves (training, coaching, events, users over HTTP),
so what engagement and notifications read is what those services really send.
"""

from datetime import UTC, datetime, timedelta

import eventlet
from nameko.standalone.events import event_dispatcher

from common import events
from common.clock import utcnow
from common.events import make_event
from notifications.local_times import local_time
from tests.e2e.test_account_flow import ADMIN, account_of, assert_error, create_admin
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.coaching_setup import iso, started_session


def publish(config, service, event_type, user_id, course_id=None, **metadata):
    event = make_event(event_type, user_id=user_id, course_id=course_id, **metadata)
    event_dispatcher(config)(service, event_type, event)
    return event


def wait_until(predicate, timeout=15):
    with eventlet.Timeout(timeout):
        while not (result := predicate()):
            eventlet.sleep(0.05)
        return result


def data(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def logs(api, admin, **params):
    return data(api.get("/admin/logs", token=admin, params={"page_size": 100, **params}))


def test_points_badge_and_leaderboard_move_as_a_learner_completes_work(api, platform, event_tap):
    tap = event_tap("engagement")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    ada, ada_token = make_user(api, admin, "ada@example.com", "Ada")
    bob, bob_token = make_user(api, admin, "bob@example.com", "Bob")

    assert data(api.get("/engagement/points/me", token=ada_token))["total"] == 0
    assert data(api.get("/engagement/badges/me", token=ada_token))["earned"] == []

    publish(platform, "training", events.COURSE_ENROLLED, ada["id"], course_id="c-1", title="Python")
    publish(platform, "training", events.COURSE_ENROLLED, bob["id"], course_id="c-1", title="Python")
    first_lesson = publish(platform, "training", events.LESSON_COMPLETED, ada["id"], course_id="c-1", lesson_id="l-1")
    # A redelivered event and a lesson completed again earn nothing more.
    event_dispatcher(platform)("training", events.LESSON_COMPLETED, first_lesson)
    publish(platform, "training", events.LESSON_COMPLETED, ada["id"], course_id="c-1", lesson_id="l-1")
    publish(platform, "training", events.LESSON_COMPLETED, ada["id"], course_id="c-1", lesson_id="l-2")
    publish(platform, "training", events.ASSESSMENT_PASSED, ada["id"], course_id="c-1", assessment_id="a-1", score=90)
    publish(platform, "training", events.COURSE_COMPLETED, ada["id"], course_id="c-1", title="Python")

    # enroll 10 + two lessons 2 * 5 + assessment 20 (runtime settings' defaults)
    points = wait_until(lambda: (p := data(api.get("/engagement/points/me", token=ada_token)))["total"] == 40 and p)
    assert points["this_week"] == 40
    assert sorted(entry["action"] for entry in points["recent"]) == [
        "assessment_passed",
        "enroll",
        "lesson_completed",
        "lesson_completed",
    ]
    badges = wait_until(lambda: len(data(api.get("/engagement/badges/me", token=ada_token))["earned"]) == 2 or None)
    assert badges
    earned = {badge["code"] for badge in data(api.get("/engagement/badges/me", token=ada_token))["earned"]}
    assert earned == {"first_lesson", "first_course"}
    awarded = tap.wait_for(events.BADGE_AWARDED, user_id=ada["id"], badge="first_course")
    assert awarded["metadata"]["badge_name"] == "Course finisher"

    # The leaderboard, global and per course, this week and all time.
    wait_until(lambda: data(api.get("/engagement/points/me", token=bob_token))["total"] == 10)
    board = data(api.get("/engagement/leaderboard", token=bob_token))
    assert [(row["rank"], row["name"], row["points"]) for row in board["items"]] == [(1, "Ada", 40), (2, "Bob", 10)]
    weekly = data(api.get("/engagement/leaderboard", token=bob_token, params={"period": "week", "course_id": "c-1"}))
    assert [row["user_id"] for row in weekly["items"]] == [ada["id"], bob["id"]]
    assert data(api.get("/engagement/leaderboard", token=bob_token, params={"course_id": "other"}))["items"] == []
    # Points per action are runtime settings: a change applies to what happens next.
    assert api.put("/admin/settings/engagement.points_enroll", token=admin, json={"value": 50}).status_code == 200
    publish(platform, "training", events.COURSE_ENROLLED, bob["id"], course_id="c-2", title="Go")
    wait_until(lambda: data(api.get("/engagement/points/me", token=bob_token))["total"] == 60)
    assert data(api.get("/engagement/leaderboard", token=ada_token))["items"][0]["name"] == "Bob"

    # The admin log shows each step, filtered by user, type and period.
    wait_until(lambda: any(e["event_type"] == "BADGE_AWARDED" for e in logs(api, admin, user_id=ada["id"])["items"]))
    steps = [entry["event_type"] for entry in reversed(logs(api, admin, user_id=ada["id"])["items"])]
    for step in ("USER_REGISTERED", "COURSE_ENROLLED", "LESSON_COMPLETED", "ASSESSMENT_PASSED", "COURSE_COMPLETED"):
        assert step in steps
    assert steps.count("LESSON_COMPLETED") == 3  # two lessons, one completed twice; the redelivery is not logged
    assert steps.count("BADGE_AWARDED") == 2
    lessons = logs(api, admin, user_id=ada["id"], type="LESSON_COMPLETED")
    assert lessons["total"] == 3 and lessons["items"][0]["target"] == {"type": "course", "id": "c-1"}
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    assert logs(api, admin, **{"from": tomorrow})["total"] == 0
    assert logs(api, admin, type="COURSE_ENROLLED", to=tomorrow)["total"] == 3
    assert_error(api.get("/admin/logs", token=ada_token), 403, "FORBIDDEN")

    # The badge became a message for Ada (notifications consumes BADGE_AWARDED).
    inbox = wait_until(
        lambda: [
            m for m in data(api.get("/notifications", token=ada_token))["items"] if m["category"] == "achievements"
        ]
    )
    assert {m["subject"] for m in inbox} <= {"New badge: First steps", "New badge: Course finisher"}

    dashboard = data(api.get("/admin/dashboard", token=admin))["services"]["engagement"]
    assert dashboard["badges_awarded"] == 2 and dashboard["points_awarded"] == 100


def test_codes_never_reach_the_activity_log(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    data(api.post("/users/register", json={"email": "sec@example.com", "password": "secret-pass-1"}), status=201)
    assert api.post("/auth/forgot-password", json={"email": "sec@example.com"}).status_code == 200
    user_id = account_of(platform, "sec@example.com")["id"]  # a registration's answer names no account
    entries = wait_until(lambda: len(found := logs(api, admin, user_id=user_id)["items"]) >= 2 and found)
    kinds = {entry["event_type"] for entry in entries}
    assert {"USER_REGISTERED", "PASSWORD_RESET_REQUESTED"} <= kinds
    for entry in entries:
        assert not any("code" in key for key in entry["metadata"]), entry
    assert next(e for e in entries if e["event_type"] == "USER_REGISTERED")["metadata"]["email"] == "sec@example.com"


def test_feedback_only_from_participants_once_each_and_editable(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    ada, ada_token = make_user(api, admin, "ada@example.com", "Ada")
    cy, cy_token = make_user(api, admin, "cy@example.com", "Cy")
    outsider, outsider_token = make_user(api, admin, "out@example.com", "Out")
    publish(platform, "training", events.COURSE_ENROLLED, ada["id"], course_id="c-9")
    publish(platform, "training", events.COURSE_ENROLLED, cy["id"], course_id="c-9")
    publish(platform, "coaching", events.SESSION_COMPLETED, ada["id"], session_id="s-1", coach_id=cy["id"])

    def rate(token, target, rating, comment=None):
        return api.post(
            "/engagement/feedback", token=token, json={"target": target, "rating": rating, "comment": comment}
        )

    wait_until(lambda: rate(ada_token, "course:c-9", 4, "Good").status_code == 200)
    assert_error(rate(outsider_token, "course:c-9", 1), 403, "FORBIDDEN")
    assert_error(rate(ada_token, "course:c-9", 6), 400, "VALIDATION_ERROR")
    assert_error(rate(ada_token, "webinar:x", 3), 400, "VALIDATION_ERROR")
    wait_until(lambda: rate(cy_token, "course:c-9", 2).status_code == 200)
    edited = data(rate(ada_token, "course:c-9", 5, "Great after all"))
    assert edited["created"] is False and edited["rating"] == 5
    wait_until(lambda: rate(ada_token, "session:s-1", 5).status_code == 200)

    listed = data(api.get("/engagement/feedback", token=outsider_token, params={"target": "course:c-9"}))
    assert listed["total"] == 2 and listed["average"] == 3.5
    assert {item["comment"] for item in listed["items"]} == {"Great after all", None}
    # Feedback earns its points once (2 by default), however often it is edited.
    points = data(api.get("/engagement/points/me", token=ada_token))
    assert [entry["action"] for entry in points["recent"]].count("feedback_given") == 2  # the course and the session


def test_tracking_has_a_schema_and_a_per_user_rate_limit(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, token = make_user(api, admin, "track@example.com", "Tracker")
    _, other = make_user(api, admin, "other@example.com", "Other")
    assert (
        api.put("/admin/settings/engagement.track_rate_limit_per_minute", token=admin, json={"value": 3}).status_code
        == 200
    )
    assert_error(api.post("/engagement/track", token=token, json={"type": "telepathy"}), 400, "VALIDATION_ERROR")
    assert_error(
        api.post("/engagement/track", token=token, json={"type": "click", "properties": {"$where": "1"}}),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(api.post("/engagement/track", json={"type": "page_view"}), 401, "UNAUTHORIZED")

    view = {"type": "lesson_view", "course_id": "c-1", "lesson_id": "l-1", "properties": {"seconds": 30}}
    statuses = [api.post("/engagement/track", token=token, json=view).status_code for _ in range(7)]
    # At most 3 a minute: even if a minute ends among these 7 requests, some are refused.
    assert statuses[:3] == [201, 201, 201] and 429 in statuses and statuses.count(201) <= 6
    refused = next(
        r for r in (api.post("/engagement/track", token=token, json=view) for _ in range(4)) if r.status_code == 429
    )
    assert_error(refused, 429, "RATE_LIMITED")
    # The limit is per user.
    assert api.post("/engagement/track", token=other, json={"type": "page_view", "path": "/home"}).status_code == 201

    def metrics():
        return data(api.get("/engagement/metrics", token=admin))

    series = wait_until(lambda: (m := metrics())["series"]["registrations"][-1] == 3 and m)  # admin, track, other
    assert series["days"][-1] == utcnow().date().isoformat() and len(series["days"]) == 30
    assert series["series"]["daily_active_users"][-1] >= 2
    assert set(series["series"]) == {
        "daily_active_users",
        "registrations",
        "enrollments",
        "completions",
        "sessions",
        "events",
    }
    assert_error(api.get("/engagement/metrics", token=token), 403, "FORBIDDEN")


def test_concurrent_feedback_is_one_feedback_and_concurrent_tracking_keeps_the_limit(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    ada, token = make_user(api, admin, "ada@example.com", "Ada")
    publish(platform, "events", events.EVENT_REGISTERED, ada["id"], event_id="e-7", title="Meetup")

    def rate(rating):
        with ApiClient(api.base_url) as client:
            return client.post("/engagement/feedback", token=token, json={"target": "event:e-7", "rating": rating})

    wait_until(lambda: logs(api, admin, type="EVENT_REGISTERED")["total"] == 1)
    answers = list(eventlet.GreenPool(8).imap(rate, [1, 2, 3, 4, 5, 1, 2, 3]))
    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    assert [a.json()["data"]["created"] for a in answers].count(True) == 1
    listed = data(api.get("/engagement/feedback", token=token, params={"target": "event:e-7"}))
    assert listed["total"] == 1
    points = data(api.get("/engagement/points/me", token=token))
    assert [entry["action"] for entry in points["recent"]] == ["feedback_given"]

    assert (
        api.put("/admin/settings/engagement.track_rate_limit_per_minute", token=admin, json={"value": 5}).status_code
        == 200
    )
    # Fire well inside one minute's window, so the count is of this burst alone.
    while utcnow().second > 45:
        eventlet.sleep(0.5)

    def track(_):
        with ApiClient(api.base_url) as client:
            return client.post("/engagement/track", token=token, json={"type": "page_view", "path": "/"}).status_code

    statuses = list(eventlet.GreenPool(12).imap(track, range(12)))
    assert sorted(statuses) == [201] * 5 + [429] * 7


def test_coaching_and_events_earn_points_and_five_sessions_earn_a_badge(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    ada, token = make_user(api, admin, "ada@example.com", "Ada")
    for n in range(5):
        publish(platform, "coaching", events.SESSION_COMPLETED, ada["id"], session_id=f"s-{n}", coach_id="c-1")
    publish(platform, "events", events.EVENT_ATTENDED, ada["id"], event_id="e-1", title="Meetup")
    # sessions 5 * 15 + event 10
    wait_until(lambda: data(api.get("/engagement/points/me", token=token))["total"] == 85)
    badges = wait_until(
        lambda: [b["code"] for b in data(api.get("/engagement/badges/me", token=token))["earned"]] or None
    )
    assert badges == ["five_sessions"]
    assert "five_sessions" not in [b["code"] for b in data(api.get("/engagement/badges/me", token=token))["available"]]


def board(api, token, **params):
    return [
        (row["rank"], row["name"], row["points"])
        for row in data(api.get("/engagement/leaderboard", token=token, params=params))["items"]
    ]


def test_leaderboard_leaves_out_whoever_turned_show_on_leaderboard_off(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    ada, ada_token = make_user(api, admin, "ada@example.com", "Ada")
    bob, bob_token = make_user(api, admin, "bob@example.com", "Bob")
    cy, _ = make_user(api, admin, "cy@example.com", "Cy")
    publish(platform, "training", events.COURSE_ENROLLED, ada["id"], course_id="c-1", title="Python")
    publish(platform, "training", events.LESSON_COMPLETED, ada["id"], course_id="c-1", lesson_id="l-1")
    publish(platform, "training", events.COURSE_ENROLLED, bob["id"], course_id="c-1", title="Python")
    publish(platform, "training", events.LESSON_COMPLETED, cy["id"], course_id="c-2", lesson_id="l-9")
    everyone = [(1, "Ada", 15), (2, "Bob", 10), (3, "Cy", 5)]
    wait_until(lambda: board(api, bob_token) == everyone)

    # Ada turns it off in her (users') preferences: she is left out, the others move up.
    assert_error(
        api.put("/users/preferences", token=ada_token, json={"show_on_leaderboard": "maybe"}), 400, "VALIDATION_ERROR"
    )
    hidden = data(api.put("/users/preferences", token=ada_token, json={"show_on_leaderboard": False}))
    assert hidden["show_on_leaderboard"] is False
    wait_until(lambda: board(api, bob_token) == [(1, "Bob", 10), (2, "Cy", 5)])
    assert board(api, ada_token, limit=1) == [(1, "Bob", 10)]  # the limit counts the people shown
    assert board(api, bob_token, period="week", course_id="c-1") == [(1, "Bob", 10)]
    assert data(api.get("/engagement/points/me", token=ada_token))["total"] == 15  # her points are hers still
    assert_error(
        api.get("/engagement/leaderboard", token=ada_token, params={"period": "month"}), 400, "VALIDATION_ERROR"
    )
    assert_error(api.get("/engagement/leaderboard", token=ada_token, params={"limit": 0}), 400, "VALIDATION_ERROR")

    # Another preference changing leaves her choice as it is.
    assert data(api.put("/users/preferences", token=ada_token, json={"theme": "dark"}))["show_on_leaderboard"] is False
    wait_until(
        lambda: any(
            entry["metadata"].get("fields") == ["preferences.theme"]
            for entry in logs(api, admin, user_id=ada["id"], type="USER_UPDATED")["items"]
        )
    )
    assert board(api, bob_token) == [(1, "Bob", 10), (2, "Cy", 5)]

    # On again: back in her place.
    data(api.put("/users/preferences", token=ada_token, json={"show_on_leaderboard": True}))
    wait_until(lambda: board(api, bob_token) == everyone)


def inbox_of(api, token, event_type):
    return [m for m in data(api.get("/notifications", token=token))["items"] if m["event_type"] == event_type]


def test_a_coaching_session_booked_and_completed_over_http_rewards_the_learner_not_the_coach(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    learner, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    # A session is completed once it has started: booked a few seconds ahead, started on return.
    coach, coach_token, session = started_session(api, admin, learner_token)

    # SESSION_BOOKED (user_id: the learner, metadata.coach_id: the coach) tells both of them, with the time.
    for token in (learner_token, coach_token):
        booked = wait_until(lambda token=token: inbox_of(api, token, "SESSION_BOOKED"))
        assert booked[0]["text"] == f"A coaching session is booked for {local_time(session['start'])}."  # UTC, English

    assert_error(api.post(f"/coaching/sessions/{session['id']}/complete", token=learner_token), 403, "FORBIDDEN")
    data(api.post(f"/coaching/sessions/{session['id']}/complete", token=coach_token))
    points = wait_until(lambda: (p := data(api.get("/engagement/points/me", token=learner_token)))["total"] == 15 and p)
    assert [entry["action"] for entry in points["recent"]] == ["session_attended"]
    completed = logs(api, admin, type="SESSION_COMPLETED")["items"]
    assert [(e["user_id"], e["target"]) for e in completed] == [
        (learner["id"], {"type": "session", "id": session["id"]})
    ]
    assert completed[0]["metadata"]["coach_id"] == coach["id"]
    assert data(api.get("/engagement/points/me", token=coach_token))["total"] == 0
    # Having attended, the learner may rate the session; the coach's own session is not theirs to rate.
    assert data(
        api.post("/engagement/feedback", token=learner_token, json={"target": f"session:{session['id']}", "rating": 5})
    )["created"]
    assert_error(
        api.post("/engagement/feedback", token=coach_token, json={"target": f"session:{session['id']}", "rating": 5}),
        403,
        "FORBIDDEN",
    )


def test_an_event_registered_and_attended_over_http_rewards_the_attendee_not_the_organiser(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    organiser, organiser_token = make_user(api, admin, "ines@example.com", "Ines", roles=["instructor"])
    learner, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    start = datetime.now(UTC) + timedelta(days=2)
    body = {
        "title": "Leading remote teams",
        "kind": "online",
        "join_url": "https://meet.example.com/abc",
        "timezone": "Europe/Berlin",
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=2)),
        "capacity": 5,
    }
    event = data(api.post("/events", token=organiser_token, json=body), 201)
    assert api.post(f"/events/{event['id']}/register", token=learner_token).status_code == 200

    # EVENT_REGISTERED (user_id: the registrant; metadata: event_id, title, starts_at) becomes her message.
    registered = wait_until(lambda: inbox_of(api, learner_token, "EVENT_REGISTERED"))
    assert registered[0]["text"] == f"You are registered for Leading remote teams ({local_time(event['starts_at'])})."
    assert data(
        api.post("/engagement/feedback", token=learner_token, json={"target": f"event:{event['id']}", "rating": 4})
    )["created"]

    # The organiser moves the start into the past and checks her in: EVENT_ATTENDED earns her the points.
    moved = datetime.now(UTC) - timedelta(minutes=30)
    data(
        api.put(
            f"/events/{event['id']}",
            token=organiser_token,
            json={"starts_at": iso(moved), "ends_at": iso(moved + timedelta(hours=2))},
        )
    )
    data(api.post(f"/events/{event['id']}/attendance", token=organiser_token, json={"user_ids": [learner["id"]]}))
    points = wait_until(lambda: (p := data(api.get("/engagement/points/me", token=learner_token)))["total"] == 12 and p)
    assert sorted(entry["action"] for entry in points["recent"]) == ["event_attended", "feedback_given"]
    attended = logs(api, admin, type="EVENT_ATTENDED")["items"]
    assert [(e["user_id"], e["target"]) for e in attended] == [(learner["id"], {"type": "event", "id": event["id"]})]
    assert data(api.get("/engagement/points/me", token=organiser_token))["total"] == 0
    assert inbox_of(api, organiser_token, "EVENT_REGISTERED") == []


def test_a_course_learned_over_http_earns_points_a_badge_and_messages(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy", roles=["instructor"])
    learner, learner_token = make_user(api, admin, "lee@example.com", "Lee")
    course = data(
        api.post(
            "/training/courses",
            token=instructor,
            json={
                "title": "Practical Rust",
                "modules": [{"title": "Basics", "lessons": [{"title": "Hello", "type": "text", "content": "Hi"}]}],
            },
        ),
        201,
    )
    data(api.post(f"/training/courses/{course['id']}/publish", token=instructor))
    data(api.post(f"/training/courses/{course['id']}/enroll", token=learner_token), 201)
    lesson = course["modules"][0]["lessons"][0]
    data(api.post(f"/training/lessons/{lesson['id']}/complete", token=learner_token))

    # enroll 10 + lesson 5; the one-lesson course is completed too, which earns a badge but no points.
    points = wait_until(lambda: (p := data(api.get("/engagement/points/me", token=learner_token)))["total"] == 15 and p)
    assert {entry["course_id"] for entry in points["recent"]} == {course["id"]}
    badges = wait_until(
        lambda: len(b := data(api.get("/engagement/badges/me", token=learner_token))["earned"]) == 2 and b
    )
    assert {badge["code"] for badge in badges} == {"first_lesson", "first_course"}
    enrolled = wait_until(lambda: inbox_of(api, learner_token, "COURSE_ENROLLED"))
    assert enrolled[0]["text"] == "You are enrolled in Practical Rust."
    completed = wait_until(lambda: inbox_of(api, learner_token, "COURSE_COMPLETED"))
    assert completed[0]["text"] == "Well done: you completed Practical Rust."
    awarded = wait_until(lambda: len(b := inbox_of(api, learner_token, "BADGE_AWARDED")) == 2 and b)
    assert {m["subject"] for m in awarded} == {"New badge: First steps", "New badge: Course finisher"}
    assert board(api, learner_token) == [(1, "Lee", 15)]
