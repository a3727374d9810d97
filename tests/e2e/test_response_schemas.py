"""Real answers of the running platform fit the schemas /openapi.json documents for them, so the document cannot
drift from what the services return; and the examples it shows are what the demo data answers."""

from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

import bootstrap
from gateway.routes import ROUTES
from gateway.schemas.responses_examples import RESPONSE_EXAMPLES
from tests.support.coaching_setup import iso, make_coach
from tests.support.openapi_schemas import check, json_schema

ADMIN = ("admin@example.com", "admin-change-me")
LEARNER = ("learner@example.com", "learner-demo-1")
# Made-up values in the examples: ids, tokens and times differ from run to run.
VARYING = {"access_token", "refresh_token", "created_at", "updated_at", "published_at", "timestamp"}


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
        complete = f"/training/lessons/{lesson['id']}/complete"
        call("POST", "/training/lessons/<lesson_id>/complete", complete, token=learner)
    assessments = call("GET", "/training/courses/<course_id>/assessments", f"{course_path}/assessments", token=learner)
    assessment_path = f"/training/assessments/{assessments[0]['id']}"
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
    assert certificates, "the demo course, completed, gives a certificate"
    certificate_path = f"/training/certificates/{certificates[0]['id']}"
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
    booking = {"coach_id": coach["id"], "start": slots["slots"][0]["start"], "topic": "Career plan"}
    session = call("POST", "/coaching/sessions", token=learner, json=booking)
    session_path = f"/coaching/sessions/{session['id']}"
    call("GET", "/coaching/sessions", token=learner)
    call("GET", "/coaching/sessions/<session_id>", session_path, token=learner)
    note = {"body": "Read chapter two", "shared": True}
    call("POST", "/coaching/sessions/<session_id>/notes", f"{session_path}/notes", token=coach_token, json=note)
    call("GET", "/coaching/sessions/<session_id>/notes", f"{session_path}/notes", token=learner)

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
