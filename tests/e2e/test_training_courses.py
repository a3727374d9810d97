"""Courses over HTTP: who may do what, search and pagination, modules and lessons, watch-time rules,
attendance for admins, one certificate under concurrent completion, and MongoDB operators refused."""

from datetime import date, timedelta

import eventlet
import pytest

from common import events
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_training_flow import build_course, data_of
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.watching import plays_started_ago


@pytest.fixture
def people(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    _, other_instructor = make_user(api, admin, "oli@example.com", "Oli Other", roles=["instructor"])
    learner_profile, learner = make_user(api, admin, "lee@example.com", "Lee Learner")
    return {
        "admin": admin,
        "instructor": instructor,
        "other": other_instructor,
        "learner": learner,
        "learner_id": learner_profile["id"],
    }


def test_course_permissions_search_and_structure_edits(api, people):
    instructor, other, learner, admin = people["instructor"], people["other"], people["learner"], people["admin"]
    assert_error(api.post("/training/courses", token=learner, json={"title": "Nope"}), 403, "FORBIDDEN")
    assert_error(api.post("/training/courses", json={"title": "Nope"}), 401, "UNAUTHORIZED")
    drafts = [
        data_of(
            api.post(
                "/training/courses",
                token=instructor,
                json={"title": f"Course {index}", "tags": ["Leadership" if index % 2 else "Sales"]},
            ),
            201,
        )
        for index in range(5)
    ]
    # Drafts are the instructor's (and admins'); learners see published courses only.
    assert data_of(api.get("/training/courses", token=learner))["total"] == 0
    assert_error(api.get(f"/training/courses/{drafts[0]['id']}", token=learner), 404, "NOT_FOUND")
    assert data_of(api.get("/training/courses", token=instructor, params={"status": "draft"}))["total"] == 5
    assert data_of(api.get("/training/courses", token=other, params={"status": "draft"}))["total"] == 0
    # Publishing needs a lesson; only the owner or an admin edits.
    assert_error(api.post(f"/training/courses/{drafts[0]['id']}/publish", token=instructor), 400, "VALIDATION_ERROR")
    assert_error(api.put(f"/training/courses/{drafts[0]['id']}", token=other, json={"title": "Mine"}), 404, "NOT_FOUND")
    course_id = drafts[0]["id"]
    first = data_of(
        api.post(
            f"/training/courses/{course_id}/modules",
            token=instructor,
            json={"title": "One", "lessons": [{"title": "A"}, {"title": "B"}]},
        ),
        201,
    )
    second = data_of(api.post(f"/training/courses/{course_id}/modules", token=instructor, json={"title": "Two"}), 201)
    module_one, module_two = (module["id"] for module in second["modules"])
    lesson_a, lesson_b = (lesson["id"] for lesson in first["modules"][0]["lessons"])
    with_c = data_of(
        api.post(
            f"/training/courses/{course_id}/modules/{module_two}/lessons",
            token=instructor,
            json={"title": "C", "type": "video", "media_url": "https://cdn.example/c.mp4", "duration_seconds": 60},
        ),
        201,
    )
    assert with_c["modules"][1]["lessons"][0]["title"] == "C"
    reordered = data_of(
        api.put(
            f"/training/courses/{course_id}/modules/{module_one}/lessons/order",
            token=instructor,
            json={"ids": [lesson_b, lesson_a]},
        )
    )
    assert [lesson["title"] for lesson in reordered["modules"][0]["lessons"]] == ["B", "A"]
    assert [lesson["order"] for lesson in reordered["modules"][0]["lessons"]] == [1, 2]
    modules = data_of(
        api.put(
            f"/training/courses/{course_id}/modules/order", token=instructor, json={"ids": [module_two, module_one]}
        )
    )
    assert [module["title"] for module in modules["modules"]] == ["Two", "One"]
    assert_error(
        api.put(f"/training/courses/{course_id}/modules/order", token=instructor, json={"ids": [module_two]}),
        400,
        "VALIDATION_ERROR",
    )
    edited = data_of(
        api.put(
            f"/training/courses/{course_id}/lessons/{lesson_a}",
            token=instructor,
            json={"title": "A2", "preview": True, "content": "Open to all"},
        )
    )
    assert any(lesson["title"] == "A2" for lesson in edited["modules"][1]["lessons"])
    renamed = data_of(
        api.put(f"/training/courses/{course_id}/modules/{module_one}", token=instructor, json={"title": "Uno"})
    )
    assert renamed["modules"][1]["title"] == "Uno"
    trimmed = data_of(api.delete(f"/training/courses/{course_id}/lessons/{lesson_b}", token=instructor))
    assert [lesson["title"] for lesson in trimmed["modules"][1]["lessons"]] == ["A2"]
    data_of(api.put(f"/training/courses/{course_id}", token=admin, json={"description": "Admins may edit"}))
    data_of(api.post(f"/training/courses/{course_id}/publish", token=instructor))
    assert_error(api.put(f"/training/courses/{course_id}", token=other, json={"title": "X"}), 403, "FORBIDDEN")

    # Learners: the published course, its preview lesson's content, not the rest.
    lessons = data_of(api.get(f"/training/courses/{course_id}/lessons", token=learner))["items"]
    by_title = {lesson["title"]: lesson for lesson in lessons}
    assert by_title["A2"]["content"] == "Open to all" and "media_url" not in by_title["C"]
    anonymous = data_of(api.get(f"/training/courses/{course_id}"))
    assert anonymous["enrolled"] is False and anonymous["lesson_count"] == 2
    data_of(api.post(f"/training/courses/{course_id}/enroll", token=learner), 201)
    lessons = data_of(api.get(f"/training/courses/{course_id}/lessons", token=learner))["items"]
    assert {lesson["title"]: lesson for lesson in lessons}["C"]["media_url"] == "https://cdn.example/c.mp4"

    # Search, filters and pagination.
    for draft in drafts[1:]:
        data_of(
            api.post(
                f"/training/courses/{draft['id']}/modules",
                token=instructor,
                json={"title": "M", "lessons": [{"title": "L"}]},
            ),
            201,
        )
        data_of(api.post(f"/training/courses/{draft['id']}/publish", token=instructor))
    page = data_of(api.get("/training/courses", token=learner, params={"page": 2, "page_size": 2}))
    assert page["total"] == 5 and page["page"] == 2 and len(page["items"]) == 2
    assert data_of(api.get("/training/courses", params={"tag": "leadership"}))["total"] == 2
    found = data_of(api.get("/training/courses", params={"q": "course 3"}))
    assert [item["title"] for item in found["items"]] == ["Course 3"]
    assert data_of(api.get("/training/courses", params={"q": ".*"}))["total"] == 0  # text, not a pattern

    # Popular: most enrolled lately, leaving out the caller's courses (those they take or teach).
    for token in (other, None):
        popular = data_of(api.get("/training/courses/popular", token=token))
        assert [(item["id"], item["recent_enrollments"]) for item in popular] == [(course_id, 1)]
    assert course_id not in [item["id"] for item in data_of(api.get("/training/courses/popular", token=learner))]
    assert course_id not in [item["id"] for item in data_of(api.get("/training/courses/popular", token=instructor))]

    # Deleting: only the owner or an admin.
    assert_error(api.delete(f"/training/courses/{drafts[4]['id']}", token=other), 403, "FORBIDDEN")
    data_of(api.delete(f"/training/courses/{drafts[4]['id']}", token=instructor))
    assert_error(api.get(f"/training/courses/{drafts[4]['id']}"), 404, "NOT_FOUND")


def test_watch_time_refuses_bad_sequences_and_admins_read_attendance(api, people, platform):
    instructor, learner = people["instructor"], people["learner"]
    course, _ = build_course(api, instructor)
    video = course["modules"][0]["lessons"][1]
    text_lesson = course["modules"][0]["lessons"][0]
    play = {"video_id": video["id"], "start_time": "09:00:00"}
    # Not enrolled: 403.
    assert_error(api.post("/training/progress", token=learner, json=play), 403, "FORBIDDEN")
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    pause = {"video_id": video["id"], "end_time": "09:10:00", "watchtime_seconds": 600}
    assert_error(api.post("/training/progress", token=learner, json=pause), 400, "VALIDATION_ERROR")  # no play
    assert_error(
        api.post("/training/progress", token=learner, json={"video_id": text_lesson["id"], "start_time": "09:00:00"}),
        400,
        "VALIDATION_ERROR",
    )
    both = dict(play, end_time="09:01:00")
    assert_error(api.post("/training/progress", token=learner, json=both), 400, "VALIDATION_ERROR")
    data_of(api.post("/training/progress", token=learner, json=play))
    plays_started_ago(platform, 600)
    for bad in (
        dict(pause, watchtime_seconds=-5),  # negative
        dict(pause, watchtime_seconds=5000),  # disagrees with end - start
        dict(pause, end_time="08:59:00", watchtime_seconds=0),  # before the play
        {"video_id": video["id"], "end_time": "23:59:59"},  # longer than the one-hour video
        dict(pause, watchtime_seconds="600"),  # not a number
    ):
        assert_error(api.post("/training/progress", token=learner, json=bad), 400, "VALIDATION_ERROR")
    # The refused pauses left the open play and the total untouched; a good pause counts once, a repeat is refused.
    closed = data_of(api.post("/training/progress", token=learner, json=pause))
    assert closed["watch_seconds"] == 600
    assert_error(api.post("/training/progress", token=learner, json=pause), 400, "VALIDATION_ERROR")

    # Concurrent pauses of one play: counted once.
    data_of(api.post("/training/progress", token=learner, json=dict(play, start_time="10:00:00")))
    plays_started_ago(platform, 300)
    pool = eventlet.GreenPool(6)
    second = {"video_id": video["id"], "end_time": "10:05:00", "watchtime_seconds": 300}

    def send(_):
        with ApiClient(api.base_url) as client:
            return client.post("/training/progress", token=learner, json=second).status_code

    assert sorted(pool.imap(send, range(6))) == [200] + [400] * 5
    progress = data_of(api.get(f"/training/progress/video/{video['id']}", token=learner))["items"]
    assert progress[0]["watch_seconds"] == 900 and progress[0]["watch_time"] == "00:15:00"

    # Attendance: the learner's own, and admins' views by user and by date; the threshold is a runtime setting.
    today = data_of(api.get("/training/attendance/today", token=learner))
    assert today["status"] == "absent" and today["total_time"] == "00:15:00"
    admin = people["admin"]
    data_of(api.put("/admin/settings/training.attendance_min_seconds", token=admin, json={"value": 900}))
    assert data_of(api.get("/training/attendance/me", token=learner))["items"][0]["status"] == "present"
    # Every day of the range is listed, newest first; days without watch time are absent.
    since = (date.fromisoformat(today["date"]) - timedelta(days=2)).isoformat()
    days = data_of(api.get("/training/attendance/me", token=learner, params={"since": since}))
    assert days["total"] == 3 and [row["status"] for row in days["items"]] == ["present", "absent", "absent"]
    assert days["items"][2] == {
        "date": since,
        "user_id": people["learner_id"],
        "status": "absent",
        "total_seconds": 0,
        "total_time": "00:00:00",
        "required_time": "00:15:00",
    }
    for bad in ({"since": "2020-01-01"}, {"since": today["date"], "until": since}, {"until": "2026-02-30"}):
        assert_error(api.get("/training/attendance/me", token=learner, params=bad), 400, "VALIDATION_ERROR")
    by_user = data_of(api.get(f"/training/attendance/user/{people['learner_id']}", token=admin))["items"]
    assert by_user[0]["total_time"] == "00:15:00" and by_user[0]["status"] == "present"
    by_date = data_of(api.get(f"/training/attendance/date/{today['date']}", token=admin))["items"]
    assert by_date == [dict(by_user[0], date=today["date"])]
    assert_error(api.get(f"/training/attendance/date/{today['date']}", token=learner), 403, "FORBIDDEN")
    assert_error(api.get("/training/attendance/date/2026-13-40", token=admin), 400, "VALIDATION_ERROR")

    # Totals are per learner: another learner's sessions on the same video and day are theirs alone.
    second_profile, second = make_user(api, admin, "sam@example.com", "Sam Second")
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=second), 201)
    data_of(api.post("/training/progress", token=second, json=dict(play, start_time="10:00:00")))
    plays_started_ago(platform, 60)
    theirs = data_of(
        api.post(
            "/training/progress",
            token=second,
            json={"video_id": video["id"], "end_time": "10:01:00", "watchtime_seconds": 60},
        )
    )
    assert theirs["watch_seconds"] == 60 and theirs["sessions"] == 1
    progress = data_of(api.get(f"/training/progress/video/{video['id']}", token=learner))["items"]
    assert progress[0]["watch_seconds"] == 900
    by_date = data_of(api.get(f"/training/attendance/date/{today['date']}", token=admin))["items"]
    assert {row["user_id"]: row["total_time"] for row in by_date} == {
        people["learner_id"]: "00:15:00",
        second_profile["id"]: "00:01:00",
    }


def test_completing_concurrently_issues_one_certificate(api, people, event_tap):
    tap = event_tap("training")
    instructor, learner = people["instructor"], people["learner"]
    course = data_of(
        api.post(
            "/training/courses",
            token=instructor,
            json={"title": "Short", "modules": [{"title": "M", "lessons": [{"title": "Only"}]}]},
        ),
        201,
    )
    data_of(api.post(f"/training/courses/{course['id']}/publish", token=instructor))
    lesson_id = course["modules"][0]["lessons"][0]["id"]
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    pool = eventlet.GreenPool(8)

    def complete(_):
        with ApiClient(api.base_url) as client:
            return client.post(f"/training/lessons/{lesson_id}/complete", token=learner)

    responses = list(pool.imap(complete, range(8)))
    assert all(response.status_code == 200 for response in responses), [r.text for r in responses]
    assert data_of(api.get("/training/certificates/me", token=learner))["total"] == 1
    tap.wait_for(events.CERTIFICATE_ISSUED, course_id=course["id"])
    eventlet.sleep(0.5)
    later = []
    while not tap.received.empty():
        later.append(tap.received.get()["event_type"])
    assert events.CERTIFICATE_ISSUED not in later and later.count(events.LESSON_COMPLETED) <= 1


INJECTIONS = [{"$gt": ""}, {"$where": "1"}, {"a.b": 1}, [{"$ne": None}]]


def test_mongodb_operators_in_input_are_refused_everywhere(api, people):
    instructor, learner = people["instructor"], people["learner"]
    course, assessment = build_course(api, instructor)
    video = course["modules"][0]["lessons"][1]
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    attempt = data_of(api.post(f"/training/assessments/{assessment['id']}/start", token=learner))
    question_id = attempt["questions"][0]["id"]
    bodies = []
    for bad in INJECTIONS:
        bodies += [
            ("POST", "/training/courses", instructor, {"title": bad}),
            ("POST", "/training/courses", instructor, {"title": "T", "tags": [bad]}),
            ("POST", "/training/courses", instructor, {"title": "T", "$set": {"status": "published"}}),
            ("POST", "/training/courses", instructor, {"title": "T", "modules": [{"title": "M", "x.y": 1}]}),
            ("PUT", f"/training/courses/{course['id']}", instructor, {"title": bad}),
            ("POST", f"/training/courses/{course['id']}/modules", instructor, {"title": bad}),
            ("PUT", f"/training/courses/{course['id']}/modules/order", instructor, {"ids": bad}),
            ("POST", "/training/progress", learner, {"video_id": bad, "start_time": "10:00:00"}),
            ("POST", "/training/progress", learner, {"video_id": video["id"], "start_time": bad}),
            ("POST", "/training/videos/youtube-playlist", instructor, {"playlist_url": bad}),
            (
                "POST",
                f"/training/assessments/{assessment['id']}/submit",
                learner,
                {"answers": [{"question_id": question_id, "answer": bad}]},
            ),
            ("POST", f"/training/assessments/{assessment['id']}/submit", learner, {"answers": bad}),
            (
                "POST",
                f"/training/courses/{course['id']}/assessments",
                instructor,
                {"title": "Q", "questions": [{"type": "true_false", "prompt": "p", "correct": bad}]},
            ),
        ]
    for method, path, token, body in bodies:
        assert_error(api.request(method, path, token=token, json=body), 400, "VALIDATION_ERROR")
    for params in ({"q[$gt]": ""}, {"tag[$ne]": "x"}, {"$where": "1"}, {"page[$gt]": "0"}):
        assert_error(api.get("/training/courses", params=params), 400, "VALIDATION_ERROR")
    assert_error(api.get("/training/analytics", token=instructor, params={"days[$gt]": "0"}), 400, "VALIDATION_ERROR")
    # Nothing was changed by the refused requests: the attempt is still open and unscored.
    result = data_of(api.get(f"/training/assessments/{assessment['id']}/result", token=learner))
    assert result["attempts"][0]["status"] == "open" and result["attempts"][0]["score"] is None


def published(api, token, title, lessons=None, **fields):
    course = data_of(
        api.post(
            "/training/courses",
            token=token,
            json={"title": title, "modules": [{"title": "M", "lessons": lessons or [{"title": "L"}]}], **fields},
        ),
        201,
    )
    return data_of(api.post(f"/training/courses/{course['id']}/publish", token=token))


def test_filters_content_visibility_requirements_certificates_and_analytics_scope(api, people):
    instructor, other, learner, admin = people["instructor"], people["other"], people["learner"], people["admin"]
    lessons = [
        {"title": "Core", "content": "core text"},
        {"title": "Extra", "content": "extra text", "required": False},
        {"title": "Teaser", "content": "teaser text", "preview": True, "required": False},
    ]
    data_course = published(api, instructor, "Data 101", lessons, category="data", level="beginner")
    published(api, instructor, "Ops 301", category="ops", level="advanced")
    others = published(api, other, "Other's course", category="data", level="advanced")
    by_admin = published(api, admin, "Admin's course")  # admins create too
    data_of(api.post("/training/courses", token=instructor, json={"title": "Draft", "category": "data"}), 201)

    def titles(token=None, **params):
        return sorted(
            item["title"] for item in data_of(api.get("/training/courses", token=token, params=params))["items"]
        )

    assert titles(category="data") == ["Data 101", "Other's course"]
    assert titles(level="advanced") == ["Ops 301", "Other's course"]
    assert titles(category="data", level="advanced") == ["Other's course"]
    assert titles(instructor_id=others["instructor_id"]) == ["Other's course"]
    assert titles(instructor, mine="true") == ["Data 101", "Draft", "Ops 301"]
    assert titles(instructor, category="data") == ["Data 101", "Draft", "Other's course"]
    assert titles(learner, mine="true") == []
    assert titles(admin, status="draft") == ["Draft"]
    assert by_admin["instructor_id"] and titles(admin, instructor_id=by_admin["instructor_id"]) == ["Admin's course"]
    assert_error(api.get("/training/courses", params={"level": "expert"}), 400, "VALIDATION_ERROR")
    assert_error(api.get("/training/courses", params={"page_size": "1000"}), 400, "VALIDATION_ERROR")

    # Lesson content: the instructor, admins and enrolled learners; preview lessons everyone.
    def contents(token):
        lessons = data_of(api.get(f"/training/courses/{data_course['id']}/lessons", token=token))["items"]
        return {lesson["title"]: lesson.get("content") for lesson in lessons}

    everything = {"Core": "core text", "Extra": "extra text", "Teaser": "teaser text"}
    assert contents(instructor) == everything and contents(admin) == everything
    preview_only = {"Core": None, "Extra": None, "Teaser": "teaser text"}
    assert contents(None) == preview_only and contents(other) == preview_only and contents(learner) == preview_only
    assert data_of(api.get(f"/training/courses/{data_course['id']}", token=other))["modules"][0]["lessons"][0][
        "content_locked"
    ]

    # Required lessons and assessments complete a course; optional ones do not hold it back.
    optional_quiz = data_of(
        api.post(
            f"/training/courses/{data_course['id']}/assessments",
            token=instructor,
            json={
                "title": "Optional",
                "required": False,
                "questions": [{"type": "true_false", "prompt": "Yes?", "correct": True}],
            },
        ),
        201,
    )
    assert optional_quiz["required"] is False
    data_of(api.post(f"/training/courses/{data_course['id']}/register", token=learner), 201)
    assert contents(learner) == everything
    core = data_course["modules"][0]["lessons"][0]["id"]
    done = data_of(api.post(f"/training/lessons/{core}/complete", token=learner))
    assert done["status"] == "completed" and done["progress"] == 33.33
    assert done["missing"] == {"lessons": [], "assessments": []}
    mine = data_of(api.get("/training/enrollments/me", token=learner))["items"]
    assert [(row["course"]["title"], row["progress"], row["status"]) for row in mine] == [
        ("Data 101", 33.33, "completed")
    ]

    # The certificate: its holder and admins read it; nobody else, not even the course's instructor.
    certificate = data_of(api.get("/training/certificates/me", token=learner))["items"][0]
    path = f"/training/certificates/{certificate['id']}"
    assert data_of(api.get(path, token=learner))["id"] == certificate["id"]
    assert data_of(api.get(path, token=admin))["holder_name"] == "Lee Learner"
    assert_error(api.get(path, token=instructor), 403, "FORBIDDEN")
    assert_error(api.get(f"{path}/pdf", token=other), 403, "FORBIDDEN")
    assert api.get(f"{path}/pdf", token=admin).content.startswith(b"%PDF")
    assert_error(api.get("/training/certificates/00000000-0000-0000-0000-000000000000/verify"), 404, "NOT_FOUND")

    # Analytics: an instructor sees their own courses only; admins see all.
    own = data_of(api.get("/training/analytics", token=instructor, params={"days": 7}))
    assert sorted(row["title"] for row in own["courses"]) == ["Data 101", "Draft", "Ops 301"]
    row = next(row for row in own["courses"] if row["title"] == "Data 101")
    assert row["enrollments"] == 1 and row["new_enrollments"] == 1 and row["completion_rate"] == 100.0
    assert row["average_score"] is None and row["active_learners"] == 1
    assert own["totals"]["enrollments"] == 1 and own["totals"]["completions"] == 1
    theirs = data_of(api.get("/training/analytics", token=other, params={"course_id": data_course["id"]}))
    assert theirs["courses"] == []
    everyone = data_of(api.get("/training/analytics", token=admin))
    assert {"Data 101", "Other's course", "Admin's course"} <= {row["title"] for row in everyone["courses"]}
    assert_error(api.get("/training/analytics", token=admin, params={"days": 0}), 400, "VALIDATION_ERROR")

    # Unenrolling on the /register path; removing a module; only staff change structure.
    data_of(api.delete(f"/training/courses/{data_course['id']}/register", token=learner))
    assert data_of(api.get(f"/training/courses/{data_course['id']}/enrollment", token=learner))["enrolled"] is False
    module_id = data_course["modules"][0]["id"]
    second = data_of(
        api.post(f"/training/courses/{data_course['id']}/modules", token=instructor, json={"title": "Two"}), 201
    )
    assert len(second["modules"]) == 2
    assert_error(
        api.delete(f"/training/courses/{data_course['id']}/modules/{module_id}", token=learner), 403, "FORBIDDEN"
    )
    assert_error(
        api.delete(f"/training/courses/{data_course['id']}/modules/{module_id}", token=other), 403, "FORBIDDEN"
    )
    removed = data_of(api.delete(f"/training/courses/{data_course['id']}/modules/{module_id}", token=instructor))
    assert [(module["title"], module["order"]) for module in removed["modules"]] == [("Two", 1)]
    assert_error(
        api.delete(f"/training/courses/{data_course['id']}/modules/{module_id}", token=instructor), 404, "NOT_FOUND"
    )
    assert_error(api.get(f"/training/attendance/user/{people['learner_id']}", token=learner), 403, "FORBIDDEN")
