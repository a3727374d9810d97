"""Input that no store or parser can take gets a 400 in the envelope, never a 500; unconfigured sign-in is a 404;
every answer, a routing miss included, is the envelope with an X-Request-ID and the security headers."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from common.exceptions import DomainError
from common.validation import MAX_DEPTH
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_training_assessments import make_quiz, published_course, start, submit
from tests.e2e.test_training_courses import people  # noqa: F401 (fixture)
from tests.e2e.test_training_flow import data_of
from tests.e2e.test_users import make_user
from tests.support.coaching_setup import iso

JSON = {"Content-Type": "application/json"}


def nested(depth, leaf='"x"'):
    """A JSON text ``depth`` levels deep, alternating objects and arrays."""
    opening = "".join('{"a":' if level % 2 else "[" for level in range(depth))
    closing = "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
    return opening + leaf + closing


def assert_400(response, message_part):
    assert_error(response, 400, "VALIDATION_ERROR")
    assert message_part in response.json()["error"]["message"], response.text


def test_deeply_nested_json_is_a_400_on_any_body_route(api, platform):
    for depth in (1000, 100_000):
        body = '{"identifier": "a@b.co", "password": "pw", "x": ' + nested(depth) + "}"
        assert_400(api.post("/auth/login", data=body, headers=JSON), "nested too deeply")
        assert_400(api.post("/users/register", data=nested(depth), headers=JSON), "nested too deeply")
    # Deep enough to refuse, shallow enough for the parser: the gateway's own limit answers.
    assert_400(api.post("/users/register", data='{"x": ' + nested(MAX_DEPTH + 1) + "}", headers=JSON), "nested")

    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, learner = make_user(api, admin, "deep@example.com", "Deep")
    for depth in (1000, MAX_DEPTH + 1):
        body = '{"type": "click", "properties": {"p": ' + nested(depth) + "}}"
        assert_400(api.post("/engagement/track", token=learner, data=body, headers=JSON), "nested too deeply")
    shallow = {"type": "click", "properties": {"p": {"q": [1, {"r": "s"}]}}}
    assert api.post("/engagement/track", token=learner, json=shallow).json()["data"]["recorded"] is True


def test_nul_bytes_and_lone_surrogates_are_a_400_in_bodies_queries_and_paths(api, platform):
    refused = "NUL characters or unpaired surrogates"
    assert_400(api.get("/events?q=%00"), refused)
    assert_400(api.get("/events", params={"q": "ok", "x\x00": "1"}), refused)
    assert_400(api.post("/auth/login", json={"identifier": "a\x00@b.co", "password": "pw"}), refused)
    lone = b'{"identifier": "\\ud800@b.co", "password": "pw"}'
    assert_400(api.post("/auth/login", data=lone, headers=JSON), refused)
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    in_key = b'{"email": "k@example.com", "password": "pw-123456789", "name": "K", "\\u0000": 1}'
    assert_400(api.post("/users", token=admin, data=in_key, headers=JSON), refused)
    deep_nul = {"title": "T", "modules": [{"title": "M", "lessons": [{"title": "L\x00"}]}]}
    assert_400(api.post("/training/courses", token=admin, json=deep_nul), refused)
    assert_400(api.get("/users/%00", token=admin), refused)
    assert_400(api.get(f"/events/{uuid.uuid4()}%00"), refused)
    # Text that is merely unusual is still taken.
    assert api.get("/events", params={"q": "naïve ☃ \U0001f600"}).status_code == 200


def test_numbers_beyond_what_is_stored_are_a_400_and_leave_no_broken_attempt(api, people):  # noqa: F811
    instructor, learner, admin = people["instructor"], people["learner"], people["admin"]
    course = published_course(api, instructor)
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    quiz = make_quiz(api, instructor, course["id"], [{"type": "numeric", "prompt": "2+2", "answer": 4}])
    question_id = quiz["questions"][0]["id"]
    start(api, learner, quiz)

    def raw_answer(number_text):
        body = '{"answers": [{"question_id": "' + question_id + '", "answer": ' + number_text + "}]}"
        return api.post(f"/training/assessments/{quiz['id']}/submit", token=learner, data=body, headers=JSON)

    assert_400(raw_answer(str(2**70)), "64 bits")
    assert_400(raw_answer("9" * 400), "64 bits")
    assert_error(raw_answer("1e400"), 400, "VALIDATION_ERROR")  # read as infinity
    assert_error(raw_answer("NaN"), 400, "VALIDATION_ERROR")
    assert_error(raw_answer(str(2**62)), 400, "VALIDATION_ERROR")  # fits 64 bits, over the answer's own bound
    # Nothing was half-written: every reader of attempts still answers, and the open attempt still takes an answer.
    result = data_of(api.get(f"/training/assessments/{quiz['id']}/result", token=learner))
    assert result["counting_attempt"] is None and result["attempts_used"] == 1
    data_of(api.get(f"/training/courses/{course['id']}/progress", token=learner))
    data_of(api.get("/training/analytics", token=instructor))
    data_of(api.get("/training/analytics", token=admin))
    submitted = submit(api, learner, quiz, {"answers": [{"question_id": question_id, "answer": 4}]})
    assert data_of(submitted)["passed"] is True
    analytics = data_of(api.get("/training/analytics", token=admin, params={"course_id": course["id"]}))
    assert analytics["courses"][0]["average_score"] == 100.0


def test_feedback_listing_of_a_target_nobody_rated(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    listed = data_of(api.get("/engagement/feedback", token=admin, params={"target": f"course:{uuid.uuid4()}"}))
    assert listed["total"] == 0 and listed["average"] is None and listed["items"] == []


def test_sign_in_urls_of_an_unconfigured_provider_are_a_404_not_configured(api, platform):
    for path in ("/auth/sso/login", "/auth/login-url", "/auth/sso/logout", "/auth/logout-url"):
        for params in ({}, {"redirect_uri": "http://127.0.0.1:3000/cb"}):
            response = api.get(path, params=params)
            assert_error(response, 404, "NOT_CONFIGURED")
            assert response.json()["error"]["details"]["provider"] == "cognito"
    google = api.get("/auth/oauth/google/login", params={"redirect_uri": "http://127.0.0.1:3000/cb"})
    assert_error(google, 404, "NOT_CONFIGURED")


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def assert_secure(response):
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.status_code, dict(response.headers))
    if response.headers["Content-Type"].startswith(("application/json", "text/html")):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Request-ID"]


def test_a_path_with_a_newline_gets_the_json_envelope(api, platform):
    for path in ("/users/%0a", "/%0a", "/users/a%0ab/roles", "/nowhere/%0d%0a"):
        response = api.get(path)
        assert response.headers["Content-Type"].startswith("application/json"), (path, response.text)
        assert response.status_code in (401, 404), (path, response.text)
        assert response.json()["success"] is False
        assert_secure(response)
    assert_error(api.get("/nowhere/%0a"), 404, "NOT_FOUND")


def test_every_answer_carries_the_security_headers(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    profile = api.get("/users/profile", token=admin)
    assert profile.status_code == 200
    assert_secure(profile)
    assert_secure(api.get("/nowhere"))
    assert_secure(api.get("/users/profile"))  # 401
    assert_secure(api.post("/auth/login", data=b"{", headers=JSON))  # 400
    preflight = api.request(
        "OPTIONS", "/users/profile", headers={"Origin": "http://app.example", "Access-Control-Request-Method": "PUT"}
    )
    assert preflight.status_code == 204
    assert_secure(preflight)
    # A file answer.
    start_at = datetime.now(UTC) + timedelta(days=3)
    event = data_of(
        api.post(
            "/events",
            token=admin,
            json={
                "title": "Headers",
                "kind": "online",
                "join_url": "https://meet.example.com/h",
                "timezone": "UTC",
                "starts_at": iso(start_at),
                "ends_at": iso(start_at + timedelta(hours=1)),
                "capacity": 5,
            },
        ),
        201,
    )
    calendar = api.get(f"/events/{event['id']}/calendar.ics")
    assert calendar.status_code == 200 and calendar.headers["Content-Type"].startswith("text/calendar")
    assert_secure(calendar)
    # Swagger UI: its own policy, scripts from the gateway only (no CDN, no inline script).
    docs = api.get("/docs")
    assert docs.status_code == 200 and docs.headers["Content-Type"].startswith("text/html")
    assert_secure(docs)
    policy = docs.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_expected_errors_are_logged_in_one_line(api, platform, caplog):
    caplog.set_level(logging.WARNING)
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    assert_error(api.get(f"/users/{uuid.uuid4()}", token=admin), 404, "NOT_FOUND")
    assert_error(
        api.post("/auth/login", json={"identifier": ADMIN[0], "password": "wrong-password"}), 401, "UNAUTHORIZED"
    )
    expected = [record for record in caplog.records if "(expected)" in record.getMessage()]
    assert len(expected) >= 2, [record.getMessage() for record in caplog.records]
    assert all(record.exc_info is None and "\n" not in record.getMessage() for record in expected)
    # Nowhere else (the gateway included) does a domain error come with a traceback.
    assert not [record for record in caplog.records if record.exc_info and isinstance(record.exc_info[1], DomainError)]
