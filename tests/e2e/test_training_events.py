"""Every training event over the real broker, heard by a tap as any consumer would: the learning events of
docs/training.md (and the authoring ones on the way), each in the platform's envelope, each as often as the rules
say (once per lesson, per pass, per completion and certificate; again after unenrolling and enrolling)."""

import re
from collections import Counter
from datetime import datetime

from common import events
from tests.e2e.test_training_assessments import events_until
from tests.e2e.test_training_courses import people  # noqa: F401 (fixture)
from tests.e2e.test_training_flow import data_of
from tests.e2e.test_users import make_user
from tests.support.watching import plays_started_ago

ENVELOPE = {"event_id", "event_type", "timestamp", "user_id", "actor_id", "request_id", "course_id", "metadata"}


def test_each_training_event_is_published_in_the_envelope_as_often_as_the_rules_say(
    api,
    people,  # noqa: F811
    event_tap,
    platform,
):
    tap = event_tap("training")
    instructor, learner, learner_id = people["instructor"], people["learner"], people["learner_id"]
    second_profile, second = make_user(api, people["admin"], "sam@example.com", "Sam Second")
    course = data_of(
        api.post(
            "/training/courses",
            token=instructor,
            json={
                "title": "Evented",
                "modules": [
                    {
                        "title": "M",
                        "lessons": [
                            {"title": "Read"},
                            {"title": "Watch", "type": "youtube", "youtube_id": "dQw4w9WgXcQ", "duration_seconds": 600},
                        ],
                    }
                ],
            },
        ),
        201,
    )
    instructor_id = course["instructor_id"]
    read, watch = course["modules"][0]["lessons"]
    quiz = data_of(
        api.post(
            f"/training/courses/{course['id']}/assessments",
            token=instructor,
            json={"title": "Check", "questions": [{"type": "true_false", "prompt": "Yes?", "correct": True}]},
        ),
        201,
    )
    answers = {"answers": [{"question_id": quiz["questions"][0]["id"], "answer": True}]}
    data_of(api.post(f"/training/courses/{course['id']}/publish", token=instructor))
    data_of(api.post(f"/training/courses/{course['id']}/publish", token=instructor))  # already published

    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner), 201)  # already enrolled
    data_of(api.post("/training/progress", token=learner, json={"video_id": watch["id"], "start_time": "08:00:00"}))
    plays_started_ago(platform, 560)
    data_of(
        api.post(
            "/training/progress",
            token=learner,
            json={"video_id": watch["id"], "end_time": "08:09:20", "watchtime_seconds": 560},
        )
    )
    for lesson in (read, watch, read):  # the repeat changes nothing
        data_of(api.post(f"/training/lessons/{lesson['id']}/complete", token=learner))
    for _ in range(2):  # a second pass is submitted, not passed again; the course completes once
        data_of(api.post(f"/training/assessments/{quiz['id']}/start", token=learner))
        assert data_of(api.post(f"/training/assessments/{quiz['id']}/submit", token=learner, json=answers))["passed"]
    data_of(api.get(f"/training/courses/{course['id']}/progress", token=learner))
    certificate = data_of(api.get("/training/certificates/me", token=learner))["items"][0]

    for _ in range(2):  # unenrolling and enrolling again announces both each time
        data_of(api.post(f"/training/courses/{course['id']}/register", token=second), 201)
        data_of(api.delete(f"/training/courses/{course['id']}/register", token=second))

    # A later request's event: everything the requests above published is queued before it.
    sentinel = data_of(api.post("/training/courses", token=instructor, json={"title": "Sentinel"}), 201)
    seen = events_until(tap, events.COURSE_CREATED, course_id=sentinel["id"])[:-1]

    assert Counter((event["event_type"], event["user_id"]) for event in seen) == {
        (events.COURSE_CREATED, instructor_id): 1,
        (events.ASSESSMENT_CREATED, instructor_id): 1,
        (events.COURSE_PUBLISHED, instructor_id): 1,
        (events.COURSE_ENROLLED, learner_id): 1,
        (events.VIDEO_PROGRESS, learner_id): 1,
        (events.LESSON_COMPLETED, learner_id): 2,
        (events.ASSESSMENT_SUBMITTED, learner_id): 2,
        (events.ASSESSMENT_PASSED, learner_id): 1,
        (events.COURSE_COMPLETED, learner_id): 1,
        (events.CERTIFICATE_ISSUED, learner_id): 1,
        (events.COURSE_ENROLLED, second_profile["id"]): 2,
        (events.COURSE_UNENROLLED, second_profile["id"]): 2,
    }
    for event in seen:
        assert set(event) == ENVELOPE, event
        # Each here is its subject's own doing, in one of their requests.
        assert event["actor_id"] == event["user_id"] and event["request_id"], event
        assert re.fullmatch(r"[0-9a-f]{32}", event["event_id"])
        assert event["timestamp"].endswith("Z") and datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        assert event["course_id"] == course["id"] and isinstance(event["metadata"], dict)
    assert len({event["event_id"] for event in seen}) == len(seen)

    by_type = {event["event_type"]: event["metadata"] for event in seen}
    assert (
        by_type[events.VIDEO_PROGRESS]["added_seconds"] == 560
        and by_type[events.VIDEO_PROGRESS]["video_id"] == watch["id"]
    )
    assert by_type[events.ASSESSMENT_PASSED]["assessment_id"] == quiz["id"]
    assert by_type[events.CERTIFICATE_ISSUED]["certificate_id"] == certificate["id"]
    assert {e["metadata"]["lesson_id"] for e in seen if e["event_type"] == events.LESSON_COMPLETED} == {
        read["id"],
        watch["id"],
    }
