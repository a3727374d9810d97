"""Real answers of the running platform fit the schemas /openapi.json documents for them, so the document cannot
drift from what the services return; and the examples it shows are what the demo data answers."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

import bootstrap
from common import events
from gateway.routes import ROUTES
from gateway.schemas.responses_examples import RESPONSE_EXAMPLES
from tests.e2e.test_account_flow import account_of
from tests.support.coaching_setup import iso, make_coach, started_session
from tests.support.openapi_schemas import check, json_schema
from tests.support.sso_fixtures import allow_plain_http, cognito, github, google, sso_config, visit_provider
from tests.support.watching import plays_started_ago
from tests.support.youtube_standin import YouTubeStandIn

__all__ = ["cognito", "github", "google"]  # fixtures

ADMIN = ("admin@example.com", "admin-change-me")
LEARNER = ("learner@example.com", "learner-demo-1")
# Made-up values in the examples: ids, tokens and times differ from run to run.
VARYING = {"access_token", "refresh_token", "created_at", "updated_at", "published_at", "timestamp"}


@pytest.fixture
def youtube_api():
    standin = YouTubeStandIn()
    yield standin
    standin.close()


@pytest.fixture
def platform_config(platform_config, youtube_api, cognito, google, github, monkeypatch):
    """Local stand-ins for the YouTube Data API (the playlist import) and the identity providers (SSO)."""
    allow_plain_http(monkeypatch)
    config = sso_config(platform_config, cognito, google, github)
    youtube = {"YOUTUBE_API_URL": youtube_api.base_url, "YOUTUBE_API_KEY": youtube_api.api_key}
    config["TRAINING"] = {**config.get("TRAINING", {}), **youtube}
    return config


@pytest.fixture
def demo_platform(platform):
    with ClusterRpcProxy(platform) as rpc:
        bootstrap.seed(rpc.users, platform, demo=True)
        bootstrap.seed_demo(platform, rpc)
    return platform


def route_of(method, path):
    return next(route for route in ROUTES if (route.method, route.path) == (method, path))


class Checker:
    """Calls a route and checks its answer against the route's schema in the served document."""

    def __init__(self, api):
        self.api = api
        self.spec = api.get("/openapi.json").json()
        self.checked = []

    def __call__(self, method, pattern, path=None, token=None, status=None, **kwargs):
        route = route_of(method, pattern)
        response = self.api.request(method, path or pattern, token=token, **kwargs)
        assert response.status_code == (status or route.status), (method, path or pattern, response.text)
        answer = response.json()
        check(answer, json_schema(self.spec, route))
        self.checked.append((method, pattern))
        return answer if route.raw else answer["data"]


def without_varying(value):
    if isinstance(value, dict):
        return {
            key: "…" if key in VARYING or key == "id" or key.endswith("_id") else without_varying(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_varying(item) for item in value]
    return value


def test_the_examples_are_what_the_demo_data_answers(api, demo_platform):
    call = Checker(api)
    login = call("POST", "/auth/login", json=dict(zip(("identifier", "password"), LEARNER, strict=True)))
    token = login["access_token"]
    answers = {
        ("POST", "/auth/login"): login,
        ("GET", "/users/profile"): call("GET", "/users/profile", token=token),
        ("GET", "/training/courses"): call("GET", "/training/courses", token=token),
    }
    course_id = answers[("GET", "/training/courses")]["items"][0]["id"]
    pattern = "/training/courses/<course_id>"
    answers[("GET", pattern)] = call("GET", pattern, f"/training/courses/{course_id}", token=token)
    assert set(answers) == set(RESPONSE_EXAMPLES)
    for key, answer in answers.items():
        assert without_varying(answer) == without_varying(RESPONSE_EXAMPLES[key]), key
    assert login["expires_in"] == RESPONSE_EXAMPLES[("POST", "/auth/login")]["expires_in"]


def test_real_answers_fit_the_documented_schemas(api, demo_platform):
    call = Checker(api)
    admin = api.login(*ADMIN)["access_token"]
    learner = api.login(*LEARNER)["access_token"]
    instructor = api.login("instructor@example.com", "instructor-demo-1")["access_token"]

    # gateway, auth and users
    call("GET", "/health")
    call("GET", "/ready")
    call("GET", "/training/health")
    call("GET", "/admin/health", token=admin)
    call("GET", "/admin/dashboard", token=admin)
    settings = call("GET", "/admin/settings", token=admin)
    key = settings["items"][0]["key"]
    call("GET", "/admin/settings/<key>", f"/admin/settings/{key}", token=admin)
    call("GET", "/auth/.well-known/jwks.json")
    call("GET", "/.well-known/openid-configuration")
    call("GET", "/auth/verify-token", token=learner)
    call("GET", "/auth/sso/user-info", token=learner)
    me = call("GET", "/users/profile", token=learner)
    call("GET", "/auth/users/me", f"/auth/users/me?token={learner}")
    call("GET", "/users/preferences", token=learner)
    users = call("GET", "/users", token=admin)
    instructor_id = next(user["id"] for user in users["items"] if user["username"] == "instructor")
    call("GET", "/users/<user_id>", f"/users/{instructor_id}", token=learner)  # someone else: the public view
    call("GET", "/users/<user_id>", f"/users/{me['id']}", token=admin)  # the full view
    call("POST", "/users/<user_id>/follow", f"/users/{instructor_id}/follow", token=learner)
    call("GET", "/users/<user_id>/followers", f"/users/{instructor_id}/followers", token=learner)
    call("GET", "/users/<user_id>/roles", f"/users/{instructor_id}/roles", token=learner)
    call("POST", "/users/search", token=learner, json={"query": "Ingrid"})

    # training: the demo course before and after enrolling, its quiz and certificate
    courses = call("GET", "/training/courses", token=learner)
    course_id = courses["items"][0]["id"]
    course_path = f"/training/courses/{course_id}"
    call("GET", "/training/courses/<course_id>", course_path, token=learner)
    call("GET", "/training/courses/<course_id>/lessons", f"{course_path}/lessons", token=learner)
    call("GET", "/training/courses/<course_id>/enrollment", f"{course_path}/enrollment", token=learner)
    call("POST", "/training/courses/<course_id>/enroll", f"{course_path}/enroll", token=learner)
    course = call("GET", "/training/courses/<course_id>", course_path, token=learner)
    call("GET", "/training/courses/<course_id>/lessons", f"{course_path}/lessons", token=learner)
    call("GET", "/training/courses/<course_id>/enrollment", f"{course_path}/enrollment", token=learner)
    call("GET", "/training/videos/course/<course_id>", f"/training/videos/course/{course_id}", token=learner)
    for lesson in course["modules"][0]["lessons"]:
        if lesson.get("duration_seconds"):  # a video of known length completes once watched
            watched = lesson["duration_seconds"]
            play = {"video_id": lesson["id"], "start_time": "08:00:00"}
            call("POST", "/training/progress", token=learner, json=play)
            plays_started_ago(demo_platform, watched)
            end = f"{8 + watched // 3600:02d}:{watched % 3600 // 60:02d}:{watched % 60:02d}"
            pause = {"video_id": lesson["id"], "end_time": end, "watchtime_seconds": watched}
            call("POST", "/training/progress", token=learner, json=pause)
        complete = f"/training/lessons/{lesson['id']}/complete"
        call("POST", "/training/lessons/<lesson_id>/complete", complete, token=learner)
    learners_path = f"{course_path}/learners"
    roster = call("GET", "/training/courses/<course_id>/learners", learners_path, token=instructor)
    one = f"{learners_path}/{roster['items'][0]['user_id']}"
    call("GET", "/training/courses/<course_id>/learners/<user_id>", one, token=instructor)
    assessments = call("GET", "/training/courses/<course_id>/assessments", f"{course_path}/assessments", token=learner)
    assessment_path = f"/training/assessments/{assessments['items'][0]['id']}"
    call("GET", "/training/assessments/<assessment_id>", assessment_path, token=instructor)
    attempt = call("POST", "/training/assessments/<assessment_id>/start", f"{assessment_path}/start", token=learner)
    answers = [
        {"question_id": question["id"], "answer": question["options"][0]["id"] if "options" in question else True}
        for question in attempt["questions"]
    ]
    submit = f"{assessment_path}/submit"
    call("POST", "/training/assessments/<assessment_id>/submit", submit, token=learner, json={"answers": answers})
    call("GET", "/training/assessments/<assessment_id>/result", f"{assessment_path}/result", token=learner)
    call("GET", "/training/courses/<course_id>/progress", f"{course_path}/progress", token=learner)
    call("GET", "/training/enrollments/me", token=learner)
    certificates = call("GET", "/training/certificates/me", token=learner)
    assert certificates["items"], "the demo course, completed, gives a certificate"
    certificate_path = f"/training/certificates/{certificates['items'][0]['id']}"
    call("GET", "/training/certificates/<certificate_id>", certificate_path, token=learner)
    call("GET", "/training/certificates/<certificate_id>/verify", f"{certificate_path}/verify")
    call("GET", "/training/attendance/today", token=learner)
    call("GET", "/training/attendance/me", token=learner)
    call("GET", "/training/analytics", token=admin)
    call("GET", "/training/courses/popular", token=admin)
    call("GET", "/training/media", token=instructor)

    # coaching: a coach with hours, a booked session and a shared note
    coach, coach_token = make_coach(api, admin)
    coach_path = f"/coaching/coaches/{coach['id']}"
    call("GET", "/coaching/coaches", token=learner)
    call("GET", "/coaching/coaches/<coach_id>", coach_path, token=learner)
    call("GET", "/coaching/coaches/<coach_id>/availability", f"{coach_path}/availability", token=learner)
    start = datetime.now(UTC) + timedelta(days=3)
    window = {"from": iso(start), "to": iso(start + timedelta(days=2))}
    slots = call("GET", "/coaching/coaches/<coach_id>/slots", f"{coach_path}/slots", token=learner, params=window)
    booking = {"coach_id": coach["id"], "start": slots["items"][0]["start"], "topic": "Career plan"}
    session = call("POST", "/coaching/sessions", token=learner, json=booking)
    session_path = f"/coaching/sessions/{session['id']}"
    call("GET", "/coaching/sessions", token=learner)
    call("GET", "/coaching/sessions/<session_id>", session_path, token=learner)
    note = {"body": "Read chapter two", "shared": True}
    call("POST", "/coaching/sessions/<session_id>/notes", f"{session_path}/notes", token=coach_token, json=note)
    call("GET", "/coaching/sessions/<session_id>/notes", f"{session_path}/notes", token=learner)
    _, soon_coach, soon = started_session(api, admin, learner)  # completed once started
    call(
        "POST",
        "/coaching/sessions/<session_id>/complete",
        f"/coaching/sessions/{soon['id']}/complete",
        token=soon_coach,
    )

    # events: one online event, the learner registered
    event = {
        "title": "Welcome webinar",
        "kind": "online",
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)),
        "capacity": 10,
        "join_url": "https://meet.example/welcome",
    }
    event_id = call("POST", "/events", token=admin, json=event)["id"]
    call("POST", "/events/<event_id>/register", f"/events/{event_id}/register", token=learner)
    call("GET", "/events", token=learner)
    call("GET", "/events/<event_id>", f"/events/{event_id}", token=learner)
    call("GET", "/events/<event_id>/registrations", f"/events/{event_id}/registrations", token=admin)
    call("GET", "/events/registrations/me", token=learner)
    call("POST", "/events/calendar/token", token=learner)

    # notifications and engagement
    call("GET", "/notifications", token=learner)
    call("GET", "/notifications/preferences", token=learner)
    call("GET", "/notifications/deliveries", token=admin)
    call("POST", "/engagement/feedback", token=learner, json={"target": f"course:{course_id}", "rating": 5})
    call("GET", "/engagement/feedback", token=admin, params={"target": f"course:{course_id}"})
    call("GET", "/engagement/leaderboard", token=learner)
    call("GET", "/engagement/points/me", token=learner)
    call("GET", "/engagement/badges/me", token=learner)
    call("GET", "/engagement/metrics", token=admin)
    call("GET", "/admin/logs", token=admin)

    required = {
        ("GET", "/training/courses"),
        ("GET", "/training/courses/<course_id>"),
        ("GET", "/training/courses/<course_id>/lessons"),
        ("GET", "/users/profile"),
        ("GET", "/users"),
        ("GET", "/events"),
        ("GET", "/events/<event_id>"),
        ("GET", "/coaching/coaches"),
        ("GET", "/notifications"),
        ("GET", "/engagement/leaderboard"),
        ("GET", "/admin/health"),
    }
    assert required <= set(call.checked)


def test_answers_of_writes_fit_the_documented_schemas(api, demo_platform):
    call = Checker(api)
    admin = api.login(*ADMIN)["access_token"]
    learner_tokens = api.login(*LEARNER)
    learner = learner_tokens["access_token"]
    instructor = api.login("instructor@example.com", "instructor-demo-1")["access_token"]

    # accounts
    signup = {"email": "new.learner@example.com", "username": "newlearner", "name": "New", "password": "pass-word-42"}
    call("POST", "/users/register", json=signup)
    call("POST", "/users/resend-confirmation", json={"email": signup["email"]})
    call("POST", "/auth/forgot-password", json={"email": LEARNER[0]})
    call("POST", "/auth/refresh", json={"refresh_token": learner_tokens["refresh_token"]})
    call("PUT", "/users/profile", token=learner, json={"bio": "Learning every day"})
    call("PUT", "/users/preferences", token=learner, json={"theme": "dark"})
    user_path = f"/users/{account_of(demo_platform, signup['email'])['id']}"
    call("PUT", "/users/<user_id>", user_path, token=admin, json={"name": "Renamed"})
    call("PUT", "/users/<user_id>/roles", f"{user_path}/roles", token=admin, json={"roles": ["learner"]})
    call("POST", "/users/<user_id>/follow", f"{user_path}/follow", token=learner)
    call("DELETE", "/users/<user_id>/follow", f"{user_path}/follow", token=learner)
    call("DELETE", "/users/<user_id>", user_path, token=admin)
    setting = call("GET", "/admin/settings", token=admin)["items"][0]
    key_path = f"/admin/settings/{setting['key']}"
    call("PUT", "/admin/settings/<key>", key_path, token=admin, json={"value": setting["value"]})
    call("POST", "/admin/settings", token=admin, json={"key": "events.reminder_lead_minutes", "value": 60})

    # a course built, changed and taken apart by its instructor
    draft = {
        "title": "Schemas in practice",
        "modules": [{"title": "One", "lessons": [{"title": "Intro", "content": "Hello"}]}],
    }
    course = call("POST", "/training/courses", token=instructor, json=draft)
    course_path = f"/training/courses/{course['id']}"
    module_id = course["modules"][0]["id"]
    call("PUT", "/training/courses/<course_id>", course_path, token=instructor, json={"description": "Changed"})
    course = call(
        "POST",
        "/training/courses/<course_id>/modules",
        f"{course_path}/modules",
        token=instructor,
        json={"title": "Two"},
    )
    module_ids = [module["id"] for module in course["modules"]]
    order = {"ids": list(reversed(module_ids))}
    call(
        "PUT",
        "/training/courses/<course_id>/modules/order",
        f"{course_path}/modules/order",
        token=instructor,
        json=order,
    )
    module_path = f"{course_path}/modules/{module_id}"
    call(
        "PUT",
        "/training/courses/<course_id>/modules/<module_id>",
        module_path,
        token=instructor,
        json={"title": "First"},
    )
    video = {"title": "Watch", "type": "youtube", "youtube_id": "aqz-KE-bpKQ", "duration_seconds": 635}
    course = call(
        "POST",
        "/training/courses/<course_id>/modules/<module_id>/lessons",
        f"{module_path}/lessons",
        token=instructor,
        json=video,
    )
    module = next(module for module in course["modules"] if module["id"] == module_id)
    lesson_ids = [lesson["id"] for lesson in module["lessons"]]
    call(
        "PUT",
        "/training/courses/<course_id>/modules/<module_id>/lessons/order",
        f"{module_path}/lessons/order",
        token=instructor,
        json={"ids": list(reversed(lesson_ids))},
    )
    lesson_path = f"{course_path}/lessons/{lesson_ids[0]}"
    call(
        "PUT", "/training/courses/<course_id>/lessons/<lesson_id>", lesson_path, token=instructor, json={"title": "Hi"}
    )
    quiz = call(
        "POST",
        "/training/courses/<course_id>/assessments",
        f"{course_path}/assessments",
        token=instructor,
        json=bootstrap.DEMO_QUIZ,
    )
    quiz_path = f"/training/assessments/{quiz['id']}"
    call(
        "PUT",
        "/training/assessments/<assessment_id>",
        quiz_path,
        token=instructor,
        json={**bootstrap.DEMO_QUIZ, "title": "Quiz"},
    )
    call("POST", "/training/courses/<course_id>/publish", f"{course_path}/publish", token=instructor)
    call("POST", "/training/courses/<course_id>/enroll", f"{course_path}/enroll", token=learner)
    play = {"video_id": lesson_ids[1], "start_time": "09:00:00"}
    call("POST", "/training/progress", token=learner, json=play)
    plays_started_ago(demo_platform, 600)
    pause = {"video_id": lesson_ids[1], "end_time": "09:10:00", "watchtime_seconds": 600}
    call("POST", "/training/progress", token=learner, json=pause)
    call("GET", "/training/progress/video/<video_id>", f"/training/progress/video/{lesson_ids[1]}", token=learner)
    me = call("GET", "/users/profile", token=learner)
    call("GET", "/training/attendance/user/<user_id>", f"/training/attendance/user/{me['id']}", token=admin)
    today = datetime.now(UTC).date().isoformat()
    call("GET", "/training/attendance/date/<date>", f"/training/attendance/date/{today}", token=admin)
    call("DELETE", "/training/courses/<course_id>/enroll", f"{course_path}/enroll", token=learner)
    call("POST", "/training/courses/<course_id>/unpublish", f"{course_path}/unpublish", token=instructor)
    call("DELETE", "/training/assessments/<assessment_id>", quiz_path, token=instructor)
    call("DELETE", "/training/courses/<course_id>/lessons/<lesson_id>", lesson_path, token=instructor)
    call("DELETE", "/training/courses/<course_id>/modules/<module_id>", module_path, token=instructor)
    call("DELETE", "/training/courses/<course_id>", course_path, token=instructor)

    # media through this gateway's own upload route
    body = b"%PDF-1.4 a handout"
    started = {"filename": "handout.pdf", "content_type": "application/pdf", "size": len(body)}
    upload = call("POST", "/training/media/upload", token=instructor, json=started)
    media_path = f"/training/media/{upload['media']['id']}"
    stored = api.put(upload["upload"]["url"], data=body, headers=upload["upload"]["headers"])
    check(stored.json(), json_schema(call.spec, route_of("PUT", "/training/media/<media_id>/content")))
    call("GET", "/training/media/<media_id>", media_path, token=instructor)
    call("PUT", "/training/media/<media_id>", media_path, token=instructor, json={"public": True})
    call("GET", "/training/media/<media_id>/url", f"{media_path}/url", token=instructor)
    call("DELETE", "/training/media/<media_id>", media_path, token=instructor)

    # coaching: hours replaced, a session moved, completed
    coach, coach_token = make_coach(api, admin)
    coach_path = f"/coaching/coaches/{coach['id']}"
    hours = {"weekly": [{"weekday": day, "start": "09:00", "end": "12:00"} for day in range(7)]}
    call(
        "PUT", "/coaching/coaches/<coach_id>/availability", f"{coach_path}/availability", token=coach_token, json=hours
    )
    call("PUT", "/coaching/coaches/me", token=coach_token, json={"timezone": "America/New_York", "bio": "Coach"})
    start = datetime.now(UTC) + timedelta(days=3)
    window = {"from": iso(start), "to": iso(start + timedelta(days=2))}
    slots = call("GET", "/coaching/coaches/<coach_id>/slots", f"{coach_path}/slots", token=learner, params=window)
    first, second = slots["items"][0]["start"], slots["items"][1]["start"]
    session = call("POST", "/coaching/sessions", token=learner, json={"coach_id": coach["id"], "start": first})
    session_path = f"/coaching/sessions/{session['id']}"
    call(
        "POST",
        "/coaching/sessions/<session_id>/reschedule",
        f"{session_path}/reschedule",
        token=learner,
        json={"start": second},
    )
    place = {"kind": "in_person", "location": "Room 4"}
    call("PUT", "/coaching/sessions/<session_id>/place", f"{session_path}/place", token=coach_token, json=place)
    call(
        "POST",
        "/coaching/sessions/<session_id>/cancel",
        f"{session_path}/cancel",
        token=learner,
        json={"reason": "Ill"},
    )

    # events
    event = {
        "title": "Office hours",
        "kind": "in_person",
        "location": "Room 4",
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=1)),
        "capacity": 1,
    }
    event_path = f"/events/{call('POST', '/events', token=admin, json=event)['id']}"
    call("POST", "/events/<event_id>/register", f"{event_path}/register", token=learner)
    call("POST", "/events/<event_id>/register", f"{event_path}/register", token=instructor)  # waitlisted
    call("GET", "/events/<event_id>/registrations", f"{event_path}/registrations", token=admin)
    call("PUT", "/events/<event_id>", event_path, token=admin, json={"title": "Office hours (moved)"})
    call("DELETE", "/events/<event_id>/register", f"{event_path}/register", token=learner)
    call("DELETE", "/events/<event_id>", event_path, token=admin)
    call("POST", "/events/calendar/token", token=learner)
    call("DELETE", "/events/calendar/token", token=learner)

    # notifications and engagement
    call("POST", "/notifications", token=admin, json={"subject": "Welcome", "text": "Hello all"})
    unread = call("GET", "/notifications", token=learner)["items"]
    notification_path = f"/notifications/{unread[0]['id']}/read"
    call("POST", "/notifications/<notification_id>/read", notification_path, token=learner)
    call("POST", "/notifications/read-all", token=learner)
    call("PUT", "/notifications/preferences", token=learner, json={"categories": {"learning": {"email": "daily"}}})
    call("POST", "/engagement/track", token=learner, json={"type": "page_view", "path": "/catalog"})
    call("POST", "/auth/logout", json={"refresh_token": learner_tokens["refresh_token"]})


def test_answers_of_the_other_account_routes_fit_the_documented_schemas(api, demo_platform, event_tap):
    call = Checker(api)
    users_events, auth_events = event_tap("users"), event_tap("auth")
    admin = api.login(*ADMIN)["access_token"]
    learner = api.login(*LEARNER)["access_token"]
    for service in ("auth", "users", "training", "coaching", "events", "notifications", "engagement"):
        call("GET", f"/{service}/health")
    signup = {"email": "ada@example.com", "username": "ada", "password": "ada-password-1", "role": "student"}
    call("POST", "/auth/signup", json=signup)
    code = users_events.wait_for(events.USER_REGISTERED, email=signup["email"])["metadata"]["confirmation_code"]
    call("POST", "/users/confirm-registration", json={"email": signup["email"], "code": code})
    made = {"email": "bo@example.com", "username": "bobby", "name": "Bo", "password": "bo-password-1"}
    bo = call("POST", "/users", token=admin, json=made)
    cy = call(
        "POST", "/auth/admin/create-user", token=admin, json={**made, "email": "cy@example.com", "username": "cyril"}
    )
    call("GET", "/users/profile/<user_id>", f"/users/profile/{bo['id']}", token=learner)
    call("GET", "/users/<user_id>/following", f"/users/{bo['id']}/following", token=learner)
    call("POST", "/auth/admin/set-password", token=admin, json={"user_id": bo["id"], "password": "bo-password-2"})
    bo_tokens = api.login("bo@example.com", "bo-password-2")
    call("POST", "/auth/sso/refresh", json={"refresh_token": bo_tokens["refresh_token"]})
    change = {"current_password": "bo-password-2", "new_password": "bo-password-3"}
    call("POST", "/auth/change-password", token=bo_tokens["access_token"], json=change)
    call("POST", "/auth/forgot-password", json={"email": "bo@example.com"})
    code = auth_events.wait_for(events.PASSWORD_RESET_REQUESTED, email="bo@example.com")["metadata"]["code"]
    reset = {"email": "bo@example.com", "code": code, "new_password": "bo-password-4"}
    call("POST", "/auth/confirm-forgot-password", json=reset)
    call("POST", "/auth/admin/delete-user", token=admin, json={"user_id": cy["id"]})
    course_id = call("GET", "/training/courses", token=learner)["items"][0]["id"]
    register = f"/training/courses/{course_id}/register"
    call("POST", "/training/courses/<course_id>/register", register, token=learner)
    call("DELETE", "/training/courses/<course_id>/register", register, token=learner)


def test_the_playlist_import_and_check_in_answers_fit_their_schemas(api, demo_platform, youtube_api):
    call = Checker(api)
    youtube_api.add_playlist("PLschema0123456789", "Tour", [("aqz-KE-bpKQ", "Big Buck Bunny", "PT10M35S")])
    instructor = api.login("instructor@example.com", "instructor-demo-1")["access_token"]
    playlist = {"playlist_url": "https://www.youtube.com/playlist?list=PLschema0123456789"}
    course = call("POST", "/training/videos/youtube-playlist", token=instructor, json=playlist)
    assert course["course_title"] == "Tour"

    # Check-in: the organiser moves the event to have started, then marks the attendee.
    admin = api.login(*ADMIN)["access_token"]
    learner = api.login(*LEARNER)["access_token"]
    start = datetime.now(UTC) + timedelta(days=1)
    event = {"title": "Live", "kind": "in_person", "location": "Hall", "capacity": 5}
    event.update(starts_at=iso(start), ends_at=iso(start + timedelta(hours=1)))
    event_path = f"/events/{call('POST', '/events', token=admin, json=event)['id']}"
    user_id = call("POST", "/events/<event_id>/register", f"{event_path}/register", token=learner)["user_id"]
    started = datetime.now(UTC) - timedelta(minutes=30)
    moved = {"starts_at": iso(started), "ends_at": iso(started + timedelta(hours=1))}
    call("PUT", "/events/<event_id>", event_path, token=admin, json=moved)
    marks = call(
        "POST", "/events/<event_id>/attendance", f"{event_path}/attendance", token=admin, json={"user_ids": [user_id]}
    )
    assert marks["marked"] == [user_id]


def test_sign_in_answers_fit_their_schemas(api, demo_platform, cognito, google, github):
    call = Checker(api)
    for path in ("/auth/login-url", "/auth/sso/login", "/auth/logout-url", "/auth/sso/logout"):
        call("GET", path)
    cognito.sign_in_as(sub="7d3c1a52-0000-4000-8000-00000000a11c", email="alice@example.com", name="Alice Cog")
    _, query = visit_provider(call("GET", "/auth/login-url")["login_url"])
    signed_in = call("GET", "/auth/sso/callback", params={"code": query["code"], "state": query["state"]})
    assert signed_in["provider"] == "cognito" and signed_in["first_sign_in"] is True
    call("GET", "/auth/sso/user-info", token=signed_in["access_token"])
    people = {
        "google": {"sub": "108234567890123456789", "email": "grace@example.com", "email_verified": True, "name": "G"},
        "github": {
            "id": 1024025,
            "login": "linus",
            "name": "Linus T",
            "emails": [{"email": "linus@example.com", "primary": True, "verified": True, "visibility": "public"}],
        },
    }
    for provider, standin in (("google", google), ("github", github)):
        started = call("GET", "/auth/oauth/<provider>/login", f"/auth/oauth/{provider}/login")
        standin.sign_in_as(**people[provider])
        _, query = visit_provider(started["url"])
        code = {"code": query["code"], "state": query["state"], "redirect_uri": f"http://app.example/oauth/{provider}"}
        assert call("POST", f"/auth/{provider}", json=code)["provider"] == provider
