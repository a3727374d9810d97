"""Every route of the table, called by every kind of caller, answers as the route declares.

One platform start (single sign-on configured through stand-ins); demo-like data made once: a course with modules,
lessons and assessments, media, events, a coach with booked sessions. Each route is called as anonymous, learner,
coach, instructor and admin, and, where it has an owner, as the owner and as someone of the same role who is not
the owner. Expected:

* anonymous on a route that is not public: 401;
* a role the route does not allow: 403 (before any body is even read);
* an allowed caller: neither 401 nor 403 (an empty body may still be refused: 400), and never a 5xx;
* on an ownership-bearing route (``OWNED``), called with a valid body so that the service's own check is reached:
  the non-owner is refused (403; 404 where the service does not say the object exists), the owner and the admin
  get it done (2xx) or are refused only by the object's state (409, or 404 once the owner deleted it).

Every route must be classified: in ``GENERIC`` (only the declared access matters) or in ``OWNED``. A new route
fails the test until it is, and a new path argument until ``build_world`` gives it a value.
"""

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from gateway.routes import PUBLIC, ROUTES
from tests.e2e.test_abuse import CLIENT_IP_HEADER, from_address
from tests.e2e.test_account_flow import ADMIN, create_admin
from tests.e2e.test_training_flow import QUESTIONS, data_of
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.coaching_setup import EVERY_DAY_9_TO_11, iso, make_coach
from tests.support.sso_fixtures import allow_plain_http, cognito, github, google, sso_config  # noqa: F401

OK = "ok"  # done: a 2xx
ALLOWED = "allowed"  # neither 401 nor 403 (nor a 5xx): let through, though the state may refuse it (409, 404)
ANSWERED = "answered"  # anything but a 5xx: a public route's own answer (a 401 for a bad sign-in state, say)
DENIED = 403
# Refused: 403, or 404 where the service does not even say the object exists to someone who may not touch it.
REFUSED = (403, 404)

CALLERS = {  # caller: roles
    "anonymous": (),
    "learner": ("learner",),
    "coach": ("coach",),
    "other_coach": ("coach",),
    "instructor": ("instructor",),
    "other_instructor": ("instructor",),
    "admin": ("admin",),
}

# Routes where only the declared access matters (any signed-in user, a role, or everyone).
GENERIC = """
GET /health
GET /ready
GET /metrics
GET /openapi.json
GET /docs
GET /docs/assets/<name>
GET /.well-known/openid-configuration
GET /admin/health
GET /admin/dashboard
GET /admin/settings
POST /admin/settings
GET /admin/settings/<key>
PUT /admin/settings/<key>
POST /auth/login
POST /auth/signup
POST /auth/refresh
POST /auth/logout
GET /auth/verify-token
POST /auth/forgot-password
POST /auth/confirm-forgot-password
POST /auth/change-password
GET /auth/.well-known/jwks.json
POST /auth/admin/create-user
POST /auth/admin/set-password
POST /auth/admin/delete-user
GET /auth/users/me
POST /users/register
POST /users/confirm-registration
POST /users/resend-confirmation
GET /users/profile
PUT /users/profile
GET /users/profile/<user_id>
GET /users/preferences
PUT /users/preferences
GET /users
POST /users
POST /users/search
GET /users/<user_id>
PUT /users/<user_id>
DELETE /users/<user_id>
GET /users/<user_id>/roles
PUT /users/<user_id>/roles
POST /users/<user_id>/follow
DELETE /users/<user_id>/follow
GET /users/<user_id>/followers
GET /users/<user_id>/following
GET /auth/login-url
GET /auth/sso/login
GET /auth/logout-url
GET /auth/sso/logout
GET /auth/sso/callback
POST /auth/sso/refresh
GET /auth/sso/user-info
GET /auth/oauth/<provider>/login
POST /auth/google
POST /auth/github
GET /auth/health
GET /users/health
GET /training/health
GET /coaching/health
GET /events/health
GET /notifications/health
GET /engagement/health
GET /training/courses
POST /training/courses
GET /training/courses/<course_id>
GET /training/courses/<course_id>/lessons
POST /training/courses/<course_id>/enroll
POST /training/courses/<course_id>/register
DELETE /training/courses/<course_id>/enroll
DELETE /training/courses/<course_id>/register
GET /training/courses/<course_id>/enrollment
GET /training/courses/<course_id>/progress
GET /training/enrollments/me
POST /training/lessons/<lesson_id>/complete
POST /training/progress
GET /training/progress/video/<video_id>
GET /training/attendance/me
GET /training/attendance/today
GET /training/attendance/user/<user_id>
GET /training/attendance/date/<date>
GET /training/videos/course/<course_id>
POST /training/videos/youtube-playlist
GET /training/courses/<course_id>/assessments
GET /training/assessments/<assessment_id>
POST /training/assessments/<assessment_id>/start
GET /training/assessments/<assessment_id>/result
POST /training/assessments/<assessment_id>/submit
GET /training/certificates/me
GET /training/certificates/<certificate_id>
GET /training/certificates/<certificate_id>/verify
GET /training/certificates/<certificate_id>/pdf
POST /training/certificates/<certificate_id>/revoke
POST /training/certificates/<certificate_id>/reissue
GET /verify/<certificate_id>
GET /training/analytics
GET /training/courses/popular
POST /training/media/upload
GET /training/media
PUT /training/media/<media_id>/content
GET /training/media/<media_id>/content
GET /coaching/coaches
PUT /coaching/coaches/me
GET /coaching/coaches/<coach_id>
GET /coaching/coaches/<coach_id>/availability
GET /coaching/coaches/<coach_id>/slots
POST /coaching/sessions
GET /coaching/sessions
GET /events
POST /events
GET /events/registrations/me
POST /events/calendar/token
DELETE /events/calendar/token
GET /events/calendar/<token>.ics
GET /events/<event_id>
POST /events/<event_id>/register
DELETE /events/<event_id>/register
GET /events/<event_id>/calendar.ics
GET /notifications
POST /notifications
GET /notifications/preferences
PUT /notifications/preferences
POST /notifications/read-all
POST /notifications/<notification_id>/read
GET /notifications/deliveries
GET /admin/logs
GET /engagement/metrics
POST /engagement/track
GET /engagement/points/me
GET /engagement/badges/me
GET /engagement/leaderboard
POST /engagement/feedback
GET /engagement/feedback
"""

# Ownership-bearing routes: how to call them so the owner check is reached (a valid body, the path values of
# an object of its own when the call destroys it) and what each caller must get. Callers left out get the
# generic answer for their role.
COURSE_OWNER = {"instructor": OK, "other_instructor": DENIED, "admin": OK}
# A course's modules, lessons and assessments: training finds them among what the caller may edit (else 404).
COURSE_PARTS = {**COURSE_OWNER, "other_instructor": REFUSED}
EVENT_OWNER = {"instructor": OK, "other_instructor": DENIED, "coach": DENIED, "other_coach": DENIED, "admin": OK}
# A coaching session: its learner and its coach; nobody else learns it exists.
SESSION_PARTIES = {
    "learner": OK,
    "coach": OK,
    "other_coach": REFUSED,
    "instructor": REFUSED,
    "other_instructor": REFUSED,
}
MEDIA_OWNER = {
    "instructor": OK,
    "other_instructor": DENIED,
    "learner": DENIED,
    "coach": DENIED,
    "other_coach": DENIED,
    "admin": OK,
}
# The owner destroyed it first: the admin then finds nothing (404) or a finished thing (409).
GONE_FOR_ADMIN = {"admin": ALLOWED}
# Let through, but the object's state refuses it (an upload not finished, an event not started: 409).
NOT_NOW = {"instructor": ALLOWED, "admin": ALLOWED}
NOT_STARTED = (409,)


def but(expectations, changes):
    return {**expectations, **changes}


def owned_routes(ids):
    spare = ids["spare"]
    return {
        "PUT /training/courses/<course_id>": ({"title": "Renamed"}, {}, COURSE_OWNER),
        "DELETE /training/courses/<course_id>": (
            None,
            {"course_id": spare["course"]},
            but(COURSE_OWNER, GONE_FOR_ADMIN),
        ),
        "POST /training/courses/<course_id>/publish": (None, {}, COURSE_OWNER),
        "POST /training/courses/<course_id>/unpublish": (None, {}, COURSE_OWNER),
        "POST /training/courses/<course_id>/modules": ({"title": "Another module"}, {}, COURSE_PARTS),
        "PUT /training/courses/<course_id>/modules/order": (ids["module_order"], {}, COURSE_PARTS),
        "PUT /training/courses/<course_id>/modules/<module_id>": ({"title": "Renamed module"}, {}, COURSE_PARTS),
        "DELETE /training/courses/<course_id>/modules/<module_id>": (
            None,
            {"module_id": spare["module"]},
            but(COURSE_PARTS, GONE_FOR_ADMIN),
        ),
        "POST /training/courses/<course_id>/modules/<module_id>/lessons": ({"title": "Another"}, {}, COURSE_PARTS),
        "PUT /training/courses/<course_id>/modules/<module_id>/lessons/order": (
            ids["lesson_order"],
            {},
            COURSE_PARTS,
        ),
        "PUT /training/courses/<course_id>/lessons/<lesson_id>": ({"title": "Renamed lesson"}, {}, COURSE_PARTS),
        # A course's learners: its instructor and admins; the user in the path took no course here (404).
        "GET /training/courses/<course_id>/learners": (None, {}, COURSE_OWNER),
        "GET /training/courses/<course_id>/learners/<user_id>": (None, {}, but(COURSE_OWNER, NOT_NOW)),
        "DELETE /training/courses/<course_id>/lessons/<lesson_id>": (
            None,
            {"lesson_id": spare["lesson"]},
            but(COURSE_PARTS, GONE_FOR_ADMIN),
        ),
        "POST /training/courses/<course_id>/assessments": (
            {"title": "Another quiz", "questions": QUESTIONS[2:3]},
            {},
            COURSE_PARTS,
        ),
        "PUT /training/assessments/<assessment_id>": (
            {"title": "Renamed quiz", "questions": QUESTIONS[2:3]},
            {},
            COURSE_PARTS,
        ),
        "DELETE /training/assessments/<assessment_id>": (
            None,
            {"assessment_id": spare["assessment"]},
            but(COURSE_PARTS, GONE_FOR_ADMIN),
        ),
        "GET /training/media/<media_id>": (None, {}, MEDIA_OWNER),
        "PUT /training/media/<media_id>": ({"filename": "renamed.pdf"}, {}, MEDIA_OWNER),
        "DELETE /training/media/<media_id>": (None, {}, but(MEDIA_OWNER, GONE_FOR_ADMIN)),
        "POST /training/media/<media_id>/complete": (None, {}, but(MEDIA_OWNER, NOT_NOW)),
        "GET /training/media/<media_id>/url": (None, {}, but(MEDIA_OWNER, NOT_NOW)),
        "PUT /coaching/coaches/<coach_id>/availability": (
            {"weekly": EVERY_DAY_9_TO_11},
            {},
            {"coach": OK, "other_coach": DENIED, "admin": OK},
        ),
        "GET /coaching/sessions/<session_id>": (None, {}, SESSION_PARTIES),
        "POST /coaching/sessions/<session_id>/cancel": (
            {"reason": "Cannot make it"},
            {"session_id": spare["session"]},
            but(SESSION_PARTIES, {"coach": ALLOWED, "admin": ALLOWED}),  # the learner cancelled it first
        ),
        "POST /coaching/sessions/<session_id>/reschedule": ({"start": ids["later_slot"]}, {}, SESSION_PARTIES),
        "PUT /coaching/sessions/<session_id>/place": (
            {"kind": "in_person", "location": "Room 4"},
            {},
            {"coach": OK, "other_coach": REFUSED, "admin": OK},
        ),
        # The session is days ahead: its coach and an admin get past the checks of who, to 409 (not started).
        "POST /coaching/sessions/<session_id>/complete": (
            None,
            {},
            {"coach": NOT_STARTED, "other_coach": REFUSED, "admin": NOT_STARTED},
        ),
        # Notes are the session's coach's (and what the coach shares with the learner): not an admin's to read.
        "GET /coaching/sessions/<session_id>/notes": (None, {}, {**SESSION_PARTIES, "admin": DENIED}),
        "POST /coaching/sessions/<session_id>/notes": (
            {"body": "Good start"},
            {},
            {"coach": OK, "other_coach": REFUSED},
        ),
        "PUT /events/<event_id>": ({"title": "Renamed event"}, {}, EVENT_OWNER),
        "DELETE /events/<event_id>": (None, {"event_id": spare["event"]}, but(EVENT_OWNER, GONE_FOR_ADMIN)),
        "GET /events/<event_id>/registrations": (None, {}, EVENT_OWNER),
        "POST /events/<event_id>/attendance": ({"user_ids": [ids["learner_id"]]}, {}, but(EVENT_OWNER, NOT_NOW)),
    }


def key_of(route):
    return f"{route.method} {route.path}"


def build_world(api, platform):
    """The people and the things the routes are called on, made the way users would make them."""
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    learner, learner_token = make_user(api, admin, "lee@example.com", "Lee Learner", password="lee-password-1")
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy", roles=["instructor"])
    _, other_instructor = make_user(api, admin, "oli@example.com", "Oli", roles=["instructor"])
    coach, coach_token = make_coach(api, admin, "cora@example.com", "Cora Coach")
    _, other_coach = make_coach(api, admin, "carl@example.com", "Carl Coach")
    victim, _ = make_user(api, admin, "vic@example.com", "Vic")
    tokens = {
        "anonymous": None,
        "learner": learner_token,
        "coach": coach_token,
        "other_coach": other_coach,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "admin": admin,
    }

    def course(title):
        body = {
            "title": title,
            "modules": [
                {"title": "Basics", "lessons": [{"title": "Welcome", "content": "Hi"}, {"title": "Spare lesson"}]},
                {"title": "Spare module", "lessons": [{"title": "Extra"}]},
            ],
        }
        made = data_of(api.post("/training/courses", token=instructor, json=body), 201)
        return data_of(api.post(f"/training/courses/{made['id']}/publish", token=instructor))

    main, doomed = course("Matrix course"), course("Doomed course")
    quizzes = [
        data_of(
            api.post(
                f"/training/courses/{main['id']}/assessments",
                token=instructor,
                json={"title": title, "questions": QUESTIONS},
            ),
            201,
        )
        for title in ("Quiz", "Spare quiz")
    ]
    media = data_of(
        api.post(
            "/training/media/upload",
            token=instructor,
            json={"filename": "notes.pdf", "content_type": "application/pdf", "size": 10},
        ),
        201,
    )

    def event(days):
        start = datetime.now(UTC) + timedelta(days=days)
        body = {
            "title": "Workshop",
            "kind": "online",
            "join_url": "https://meet.example.com/abc",
            "timezone": "Europe/Berlin",
            "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=2)),
            "capacity": 5,
        }
        return data_of(api.post("/events", token=instructor, json=body), 201)

    main_event, spare_event = event(10), event(11)
    start = datetime.now(UTC) + timedelta(days=3)
    slots = api.get(
        f"/coaching/coaches/{coach['id']}/slots",
        token=learner_token,
        params={"from": iso(start), "to": iso(start + timedelta(days=3))},
    ).json()["data"]["items"]
    sessions = [
        data_of(
            api.post("/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": slot["start"]}),
            201,
        )
        for slot in slots[:2]
    ]
    basics, spare_module = main["modules"]

    def modules_now():
        return data_of(api.get(f"/training/courses/{main['id']}", token=instructor))["modules"]

    def module_order():
        return {"ids": [module["id"] for module in reversed(modules_now())]}

    def lesson_order():
        lessons = next(module for module in modules_now() if module["id"] == basics["id"])["lessons"]
        return {"ids": [lesson["id"] for lesson in reversed(lessons)]}

    return tokens, {
        "learner_id": learner["id"],
        "module_order": module_order,
        "lesson_order": lesson_order,
        "later_slot": slots[3]["start"],
        "path": {
            "key": "auth.max_failed_logins",
            "name": "swagger-ui.css",
            "user_id": victim["id"],
            "provider": "google",
            "course_id": main["id"],
            "module_id": basics["id"],
            "lesson_id": basics["lessons"][0]["id"],
            "video_id": basics["lessons"][0]["id"],
            "date": datetime.now(UTC).date().isoformat(),
            "assessment_id": quizzes[0]["id"],
            "certificate_id": str(uuid.uuid4()),
            "media_id": media["media"]["id"],
            "coach_id": coach["id"],
            "session_id": sessions[0]["id"],
            "token": "no-such-calendar-token",
            "event_id": main_event["id"],
            "notification_id": str(uuid.uuid4()),
        },
        "spare": {
            "course": doomed["id"],
            "module": spare_module["id"],
            "lesson": basics["lessons"][1]["id"],
            "assessment": quizzes[1]["id"],
            "event": spare_event["id"],
            "session": sessions[1]["id"],
        },
    }


def generic_expectation(route, roles):
    if route.access == PUBLIC:
        return ANSWERED
    if not roles:
        return 401
    if isinstance(route.access, frozenset) and not route.access.intersection(roles):
        return DENIED
    return ALLOWED


def path_of(route, values):
    path = route.path
    for name in [part.split(">")[0] for part in path.split("<")[1:]]:
        assert name in values, f"{key_of(route)}: no value for <{name}> in the matrix's path values"
        path = path.replace(f"<{name}>", str(values[name]))
    return path


def meets(status, expected):
    if status >= 500:
        return False
    if expected == ANSWERED:
        return True
    if expected == OK:
        return 200 <= status < 300
    if expected == ALLOWED:
        return status not in (401, 403)
    return status in expected if isinstance(expected, tuple) else status == expected


@pytest.fixture
def configured(runner_factory, platform_config, cognito, google, github, monkeypatch):  # noqa: F811
    """Every feature configured (single sign-on through stand-ins on 127.0.0.1), behind a pretend proxy that
    gives each caller its own address."""
    allow_plain_http(monkeypatch)
    config = sso_config(platform_config, cognito, google, github)
    config["GATEWAY"]["CLIENT_IP_HEADER"] = CLIENT_IP_HEADER
    from tests.conftest import all_service_classes

    runner_factory(config, *all_service_classes()).start()
    with ApiClient(f"http://{config['WEB_SERVER_ADDRESS']}") as client:
        yield client, config


def classified():
    """``(generic, owned)`` route keys: every route of the table must be in exactly one."""
    placeholders = defaultdict(lambda: defaultdict(str))  # owned_routes needs ids only for bodies and paths
    return set(GENERIC.split("\n")) - {""}, set(owned_routes(placeholders))


def test_every_route_is_classified_for_the_matrix():
    generic, owned = classified()
    keys = {key_of(route) for route in ROUTES}
    assert not keys - generic - owned, f"classify these routes in GENERIC or OWNED: {sorted(keys - generic - owned)}"
    assert not generic & owned, f"both generic and owned: {sorted(generic & owned)}"
    assert not (generic | owned) - keys, f"no longer routes: {sorted((generic | owned) - keys)}"


def test_every_route_answers_every_caller_as_declared(configured):
    api, config = configured
    tokens, ids = build_world(api, config)
    owned = owned_routes(ids)

    test_every_route_is_classified_for_the_matrix()

    # Destroying calls come last, so that the other routes still find their objects; and whoever may destroy
    # (the owner, the parties of a session, admins) comes after those who may not.
    order = sorted(ROUTES, key=lambda route: route.method == "DELETE" or route.path.endswith(("/cancel", "/unpublish")))
    callers = ["anonymous", "other_coach", "other_instructor", "learner", "coach", "instructor", "admin"]
    wrong = []
    for route in order:
        body, path_values, expectations = owned.get(key_of(route), (None, {}, {}))
        path = path_of(route, {**ids["path"], **path_values})
        for number, caller in enumerate(callers):
            # A body made at call time (a new order of every module, say) is made afresh for each caller.
            made = body() if callable(body) else body
            payload = {"json": made if made is not None else {}} if route.body is not None else {}
            expected = expectations.get(caller, generic_expectation(route, CALLERS[caller]))
            headers = from_address(f"198.51.100.{number + 1}")  # one address a caller: the auth routes' limit holds
            response = api.request(route.method, path, token=tokens[caller], headers=headers, **payload)
            if not meets(response.status_code, expected):
                wrong.append(f"{route.method} {path} as {caller}: {response.status_code}, expected {expected}")
    assert not wrong, "\n" + "\n".join(wrong)
