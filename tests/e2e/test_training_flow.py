"""Issue 3's must-show flow over HTTP: build a course, learn it, pass it, get and verify the certificate."""

import eventlet

from common import events
from common.mongo import client_for
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.watching import plays_started_ago


def data_of(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


QUESTIONS = [
    {
        "type": "single_choice",
        "prompt": "Capital of France?",
        "points": 2,
        "options": [{"text": "Paris", "correct": True}, {"text": "Lyon"}],
    },
    {
        "type": "multiple_choice",
        "prompt": "Prime numbers?",
        "points": 2,
        "options": [{"text": "2", "correct": True}, {"text": "3", "correct": True}, {"text": "4"}],
    },
    {"type": "true_false", "prompt": "Water is wet", "correct": True},
    {"type": "short_answer", "prompt": "Largest ocean?", "accepted_answers": ["Pacific", "Pacific Ocean"]},
    {"type": "numeric", "prompt": "Pi to two decimals", "answer": 3.14, "tolerance": 0.005},
]


def build_course(api, instructor):
    course = data_of(
        api.post(
            "/training/courses",
            token=instructor,
            json={
                "title": "Practical Python",
                "description": "From zero to scripts",
                "tags": ["Python", "programming"],
                "modules": [
                    {
                        "title": "Basics",
                        "lessons": [
                            {"title": "Welcome", "type": "text", "content": "Hello", "preview": True},
                            {
                                "title": "Variables (video)",
                                "type": "youtube",
                                "youtube_id": "dQw4w9WgXcQ",
                                "duration_seconds": 3600,
                            },
                        ],
                    }
                ],
            },
        ),
        201,
    )
    assessment = data_of(
        api.post(
            f"/training/courses/{course['id']}/assessments",
            token=instructor,
            json={
                "title": "Final quiz",
                "questions": QUESTIONS,
                "passing_score": 80,
                "max_attempts": 3,
                "time_limit_seconds": 600,
                "shuffle_questions": True,
                "shuffle_options": True,
                "show_answers": "once_passed",
            },
        ),
        201,
    )
    published = data_of(api.post(f"/training/courses/{course['id']}/publish", token=instructor))
    assert published["status"] == "published"
    return published, assessment


def answers_for(attempt, assessment_with_answers, right=True):
    truth = {question["id"]: question for question in assessment_with_answers["questions"]}
    answers = []
    for question in attempt["questions"]:
        known = truth[question["id"]]
        if question["type"] == "single_choice":
            answer = (
                known["correct_option_ids"][0]
                if right
                else next(
                    option["id"] for option in question["options"] if option["id"] not in known["correct_option_ids"]
                )
            )
        elif question["type"] == "multiple_choice":
            answer = (
                known["correct_option_ids"]
                if right
                else [option["id"] for option in question["options"] if option["id"] not in known["correct_option_ids"]]
            )
        elif question["type"] == "true_false":
            answer = known["correct"] if right else not known["correct"]
        elif question["type"] == "short_answer":
            answer = "  pacific OCEAN. " if right else "Atlantic"
        else:
            answer = 3.141 if right else 2.0
        answers.append({"question_id": question["id"], "answer": answer})
    return answers


def test_instructor_builds_learner_completes_and_anyone_verifies_the_certificate(api, platform, event_tap):
    tap = event_tap("training")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    learner_profile, learner = make_user(api, admin, "lee@example.com", "Lee Learner")

    course, assessment = build_course(api, instructor)
    assert tap.wait_for(events.COURSE_PUBLISHED, course_id=course["id"])
    video = course["modules"][0]["lessons"][1]
    welcome = course["modules"][0]["lessons"][0]

    # Before enrolling: the preview lesson shows, the video's content does not; GET never shows answers.
    outside = data_of(api.get(f"/training/courses/{course['id']}/lessons", token=learner))["items"]
    assert outside[0]["content"] == "Hello" and outside[1]["content_locked"] and "youtube_id" not in outside[1]
    public_quiz = data_of(api.get(f"/training/assessments/{assessment['id']}", token=learner))
    assert "correct_option_ids" not in str(public_quiz) and "accepted_answers" not in str(public_quiz)
    assert "Pacific" not in str(public_quiz) and "3.14" not in str(public_quiz)

    # Enroll (on /register), then watch with play/pause until attendance says present.
    data_of(api.post(f"/training/courses/{course['id']}/register", token=learner), 201)
    assert data_of(api.get(f"/training/courses/{course['id']}/enrollment", token=learner))["enrolled"] is True
    assert tap.wait_for(events.COURSE_ENROLLED, course_id=course["id"])
    absent = data_of(api.get("/training/attendance/today", token=learner))
    assert absent["status"] == "absent" and absent["total_time"] == "00:00:00"
    play = {"video_id": video["id"], "start_time": "10:00:00"}
    data_of(api.post("/training/progress", token=learner, json=play))
    plays_started_ago(platform, 1200)
    first = data_of(
        api.post(
            "/training/progress",
            token=learner,
            json={"video_id": video["id"], "end_time": "10:20:00", "watchtime_seconds": 1200},
        )
    )
    assert first["watch_time"] == "00:20:00"
    assert data_of(api.get("/training/attendance/today", token=learner))["status"] == "absent"
    data_of(api.post("/training/progress", token=learner, json={"video_id": video["id"], "start_time": "11:00:00"}))
    plays_started_ago(platform, 630)
    second = data_of(
        api.post(
            "/training/progress",
            token=learner,
            json={"video_id": video["id"], "end_time": "11:10:30", "watchtime_seconds": 630},
        )
    )
    assert second["watch_time"] == "00:30:30" and second["sessions"] == 2
    today = data_of(api.get("/training/attendance/today", token=learner))
    assert today["status"] == "present" and today["total_time"] == "00:30:30"
    progress = data_of(api.get(f"/training/progress/video/{video['id']}", token=learner))["items"]
    assert progress[0]["watch_time"] == "00:30:30"
    assert tap.wait_for(events.VIDEO_PROGRESS, course_id=course["id"], watch_seconds=1830)

    # Complete the lessons: 50%, then 100% but not completed while the assessment is not passed.
    half = data_of(api.post(f"/training/lessons/{welcome['id']}/complete", token=learner))
    assert half["progress"] == 50.0
    # The video completes once 90 % of its hour is watched (the runtime setting's default), not before.
    assert_error(api.post(f"/training/lessons/{video['id']}/complete", token=learner), 400, "VALIDATION_ERROR")
    data_of(api.post("/training/progress", token=learner, json={"video_id": video["id"], "start_time": "12:00:00"}))
    plays_started_ago(platform, 1500)
    last = {"video_id": video["id"], "end_time": "12:25:00", "watchtime_seconds": 1500}
    assert data_of(api.post("/training/progress", token=learner, json=last))["lesson_completed"] is True
    full = data_of(api.post(f"/training/lessons/{video['id']}/complete", token=learner))
    assert full["progress"] == 100.0 and full["status"] == "active"
    assert full["missing"] == {"lessons": [], "assessments": [assessment["id"]]}

    # Fail, then pass, within the attempt limit.
    # Six concurrent starts make one attempt (the attempt limit cannot be outrun).
    pool = eventlet.GreenPool(6)

    def start(_):
        with ApiClient(api.base_url) as client:
            return data_of(client.post(f"/training/assessments/{assessment['id']}/start", token=learner))

    started = list(pool.imap(start, range(6)))
    assert len({item["id"] for item in started}) == 1
    attempt = started[0]
    assert attempt["number"] == 1 and attempt["deadline"]
    assert "correct_option_ids" not in str(attempt)
    failed = data_of(
        api.post(
            f"/training/assessments/{assessment['id']}/submit",
            token=learner,
            json={"answers": answers_for(attempt, assessment, right=False)},
        )
    )
    assert failed["passed"] is False and failed["score"] == 0.0 and failed["attempts_left"] == 2
    assert failed["answers_shown"] is False and "correct_answer" not in failed["feedback"][0]
    assert tap.wait_for(events.ASSESSMENT_SUBMITTED, course_id=course["id"], passed=False)
    assert data_of(api.get("/training/certificates/me", token=learner))["items"] == []

    attempt = data_of(api.post(f"/training/assessments/{assessment['id']}/start", token=learner))
    assert attempt["number"] == 2
    passed = data_of(
        api.post(
            f"/training/assessments/{assessment['id']}/submit",
            token=learner,
            json={"answers": answers_for(attempt, assessment)},
        )
    )
    assert passed["passed"] is True and passed["score"] == 100.0 and passed["attempts_left"] == 1
    assert passed["answers_shown"] is True and all("correct_answer" in row for row in passed["feedback"])
    assert tap.wait_for(events.ASSESSMENT_PASSED, course_id=course["id"])
    assert tap.wait_for(events.COURSE_COMPLETED, course_id=course["id"])
    issued = tap.wait_for(events.CERTIFICATE_ISSUED, course_id=course["id"])
    assert issued["user_id"] == learner_profile["id"]

    # The certificate: mine, downloadable as PDF, and verifiable by anyone.
    mine = data_of(api.get("/training/certificates/me", token=learner))["items"]
    assert len(mine) == 1 and mine[0]["holder_name"] == "Lee Learner" and mine[0]["valid"] is True
    certificate_id = mine[0]["id"]
    assert certificate_id == issued["metadata"]["certificate_id"]
    pdf = api.get(f"/training/certificates/{certificate_id}/pdf", token=learner)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"].startswith("application/pdf")
    assert pdf.content.startswith(b"%PDF")
    with ApiClient(api.base_url) as anonymous:
        verified = data_of(anonymous.get(f"/training/certificates/{certificate_id}/verify"))
        assert verified == {
            "id": certificate_id,
            "holder_name": "Lee Learner",
            "course_title": "Practical Python",
            "issued_at": mine[0]["issued_at"],
            "valid": True,
            "genuine": True,
            "status": "active",
            "revoked_at": None,
            "revocation_reason": None,
            "replaced_by": None,
            "replaces": None,
        }
        assert_error(anonymous.get(f"/training/certificates/{certificate_id}"), 401, "UNAUTHORIZED")
        # Someone with write access to the database changes the holder's name: verification says so.
        certificates = client_for(platform["MONGO_URI"])[platform["MONGO_DB_PREFIX"] + "training"]["certificates"]
        certificates.update_one({"_id": certificate_id}, {"$set": {"holder_name": "Mallory"}})
        tampered = data_of(anonymous.get(f"/training/certificates/{certificate_id}/verify"))
        assert tampered["holder_name"] == "Mallory" and tampered["valid"] is False
        certificates.update_one({"_id": certificate_id}, {"$set": {"holder_name": "Lee Learner"}})
    enrollments = data_of(api.get("/training/enrollments/me", token=learner))
    assert enrollments["items"][0]["status"] == "completed" and enrollments["items"][0]["progress"] == 100.0

    # The instructor's analytics show it.
    report = data_of(api.get("/training/analytics", token=instructor))
    row = next(item for item in report["courses"] if item["course_id"] == course["id"])
    assert row["enrollments"] == 1 and row["completions"] == 1 and row["completion_rate"] == 100.0
    assert row["average_score"] == 100.0 and row["active_learners"] == 1
    assert_error(api.get("/training/analytics", token=learner), 403, "FORBIDDEN")


def test_enrolling_concurrently_leaves_one_enrollment(api, platform, event_tap):
    tap = event_tap("training")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    _, learner = make_user(api, admin, "lee@example.com", "Lee Learner")
    course, _ = build_course(api, instructor)

    pool = eventlet.GreenPool(8)

    def enroll(index):
        with ApiClient(api.base_url) as client:
            path = "enroll" if index % 2 else "register"
            return client.post(f"/training/courses/{course['id']}/{path}", token=learner)

    responses = list(pool.imap(enroll, range(8)))
    assert all(response.status_code == 201 for response in responses), [r.text for r in responses]
    ids = {response.json()["data"]["id"] for response in responses}
    assert len(ids) == 1
    assert sum(response.json()["data"]["created"] for response in responses) == 1
    mine = data_of(api.get("/training/enrollments/me", token=learner))
    assert mine["total"] == 1
    assert tap.wait_for(events.COURSE_ENROLLED, course_id=course["id"])
    # Unenroll, and the status says so.
    data_of(api.delete(f"/training/courses/{course['id']}/enroll", token=learner))
    assert data_of(api.get(f"/training/courses/{course['id']}/enrollment", token=learner)) == {
        "enrolled": False,
        "course_id": course["id"],
    }
    assert_error(api.delete(f"/training/courses/{course['id']}/enroll", token=learner), 404, "NOT_FOUND")
