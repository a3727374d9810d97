"""The training RPCs through worker_factory: the service itself refuses operator keys and checks who calls."""

import mongomock
import pytest
from nameko.testing.services import worker_factory

from common.exceptions import Conflict, Forbidden, NotFound, Unauthorized, ValidationError
from common.stores import Repositories
from tests.support.callers import from_gateway as caller
from training.service import SETTINGS, TrainingService
from training.store import ensure_indexes

INSTRUCTOR = ("inst-1", ["instructor"])
OTHER = ("inst-2", ["instructor"])
LEARNER = ("learner-1", ["learner"])


@pytest.fixture
def service():
    database = mongomock.MongoClient().db
    ensure_indexes(database)

    def make(who=None):
        worker = worker_factory(
            TrainingService,
            store=Repositories(lambda: database, TrainingService.store.repositories),
            caller=caller(*who) if who else caller(),
            certificate_key="k",
        )
        worker.config = {"TRAINING": {}}
        worker.settings = {key: setting.default for key, setting in SETTINGS.items()}
        worker.database = database
        worker.users.get_account.return_value = {"name": "Lee Learner"}
        return worker

    return make


def watched_whole(worker, lesson_id):
    """The learner watched the whole 60 s video earlier (a video lesson completes once watched)."""
    watched = {
        "_id": lesson_id,
        "user_id": LEARNER[0],
        "video_id": lesson_id,
        "date": "2026-01-01",
        "watch_seconds": 60,
    }
    worker.database["watch_time"].insert_one(watched)


def published_course(service):
    course = service(INSTRUCTOR).create_course(
        title="C", modules=[{"title": "M", "lessons": [{"title": "L", "type": "video", "duration_seconds": 60}]}]
    )
    service(INSTRUCTOR).publish_course(course["id"])
    return course


@pytest.mark.parametrize(
    "payload",
    [
        {"title": "T", "$set": {"status": "published"}},
        {"title": {"$gt": ""}},
        {"title": "T", "modules": [{"title": "M", "lessons": [{"title": "L", "a.b": 1}]}]},
        {"title": "T", "tags": [{"$ne": None}]},
    ],
)
def test_operator_keys_are_refused_by_the_service_itself(service, payload):
    with pytest.raises(ValidationError):
        service(INSTRUCTOR).create_course(**payload)


def test_operator_keys_in_answers_and_queries_are_refused(service):
    course = published_course(service)
    assessment = service(INSTRUCTOR).create_assessment(
        course["id"], title="Q", questions=[{"type": "short_answer", "prompt": "p", "accepted_answers": ["x"]}]
    )
    service(LEARNER).enroll(course["id"])
    attempt = service(LEARNER).start_assessment(assessment["id"])
    question_id = attempt["questions"][0]["id"]
    with pytest.raises(ValidationError):
        service(LEARNER).submit_assessment(
            assessment["id"], answers=[{"question_id": question_id, "answer": {"$gt": ""}}]
        )
    with pytest.raises(ValidationError):
        service().list_courses(**{"q": {"$regex": ".*"}})
    with pytest.raises(ValidationError):
        service().list_courses(**{"$where": "1"})


def test_who_may_do_what(service):
    with pytest.raises(Forbidden):
        service(LEARNER).create_course(title="No")
    course = service(INSTRUCTOR).create_course(title="Draft")
    with pytest.raises(NotFound):
        service(LEARNER).get_course(course["id"])
    with pytest.raises(NotFound):
        service(OTHER).update_course(course["id"], title="Mine")
    with pytest.raises(Unauthorized):
        service().enroll(course["id"])
    with pytest.raises(Forbidden):
        service(LEARNER).analytics()
    published = published_course(service)
    with pytest.raises(Forbidden):
        service(OTHER).add_module(published["id"], title="X")
    with pytest.raises(Forbidden):
        service(LEARNER).user_attendance("00000000-0000-0000-0000-000000000001")


def test_completion_issues_one_certificate_and_events(service):
    course = published_course(service)
    learner = service(LEARNER)
    learner.enroll(course["id"])
    lesson_id = course["modules"][0]["lessons"][0]["id"]
    watched_whole(learner, lesson_id)
    done = learner.complete_lesson(lesson_id)
    assert done["status"] == "completed" and done["progress"] == 100.0
    again = service(LEARNER)
    again.complete_lesson(lesson_id)
    sent = [call.args[0] for call in learner.events.call_args_list]
    assert sent == ["COURSE_ENROLLED", "LESSON_COMPLETED", "COURSE_COMPLETED", "CERTIFICATE_ISSUED"]
    assert [call.args[0] for call in again.events.call_args_list] == []
    certificates = service(LEARNER).my_certificates()["items"]
    assert len(certificates) == 1 and certificates[0]["holder_name"] == "Lee Learner" and certificates[0]["valid"]


def test_assessment_settings_change_any_time_questions_only_before_attempts(service):
    course = published_course(service)
    owner = service(INSTRUCTOR)
    quiz = owner.create_assessment(
        course["id"], title="Q", questions=[{"type": "true_false", "prompt": "p", "correct": True}]
    )
    assert quiz["max_attempts"] is None and quiz["passing_score"] == 70.0
    changed = service(INSTRUCTOR).update_assessment(quiz["id"], max_attempts=2, passing_score=90)
    assert changed["max_attempts"] == 2 and changed["passing_score"] == 90.0 and changed["title"] == "Q"
    with pytest.raises(ValidationError):
        service(INSTRUCTOR).update_assessment(quiz["id"], questions=[{"type": "numeric", "prompt": "no answer"}])
    new_questions = [{"type": "numeric", "prompt": "2+2", "answer": 4}]
    assert service(INSTRUCTOR).update_assessment(quiz["id"], questions=new_questions)["questions"][0]["answer"] == 4
    with pytest.raises(NotFound):
        service(OTHER).get_assessment("nope")
    with pytest.raises(Forbidden):
        service(OTHER).update_assessment(quiz["id"], title="Mine")
    service(LEARNER).enroll(course["id"])
    service(LEARNER).start_assessment(quiz["id"])
    with pytest.raises(Conflict):
        service(INSTRUCTOR).update_assessment(quiz["id"], questions=new_questions)


def test_unenroll_event_admin_analytics_and_stats(service):
    course = published_course(service)
    service(INSTRUCTOR).create_course(title="Another")  # a second course, by the same instructor
    learner = service(LEARNER)
    learner.enroll(course["id"])
    assert learner.unenroll(course["id"]) == {"enrolled": False, "course_id": course["id"]}
    assert [call.args[0] for call in learner.events.call_args_list] == ["COURSE_ENROLLED", "COURSE_UNENROLLED"]
    with pytest.raises(NotFound):
        service(LEARNER).unenroll(course["id"])
    service(LEARNER).enroll(course["id"])
    admin = service(("admin-1", ["admin"]))
    report = admin.analytics()
    assert report["totals"]["courses"] == 2 and report["totals"]["enrollments"] == 1
    assert service(OTHER).analytics()["totals"]["courses"] == 0
    assert admin.stats()["enrollments"] == 1 and admin.stats()["published_courses"] == 1


def test_assessment_passed_is_announced_on_the_first_pass_only(service):
    course = published_course(service)
    quiz = service(INSTRUCTOR).create_assessment(
        course["id"], title="Q", questions=[{"type": "true_false", "prompt": "p", "correct": True}]
    )
    service(LEARNER).enroll(course["id"])
    sent = []
    for answer in (True, False, True):
        worker = service(LEARNER)
        attempt = worker.start_assessment(quiz["id"])
        worker.submit_assessment(quiz["id"], answers=[{"question_id": attempt["questions"][0]["id"], "answer": answer}])
        sent.append([call.args[0] for call in worker.events.call_args_list])
    assert sent == [
        ["ASSESSMENT_SUBMITTED", "ASSESSMENT_PASSED"],
        ["ASSESSMENT_SUBMITTED"],
        ["ASSESSMENT_SUBMITTED"],
    ]


def test_a_certificate_postponed_by_an_unreachable_users_service_is_issued_later(service):
    course = published_course(service)
    service(LEARNER).enroll(course["id"])
    learner = service(LEARNER)
    learner.users.get_account.side_effect = RuntimeError("users is down")
    watched_whole(learner, course["modules"][0]["lessons"][0]["id"])
    done = learner.complete_lesson(course["modules"][0]["lessons"][0]["id"])
    assert done["status"] == "completed"
    assert service(LEARNER).my_certificates()["items"] == []
    later = service(LEARNER)
    later.course_progress(course["id"])
    assert [call.args[0] for call in later.events.call_args_list] == ["CERTIFICATE_ISSUED"]
    assert len(service(LEARNER).my_certificates()["items"]) == 1


def test_concurrent_publishes_announce_course_published_once(service, monkeypatch):
    from common import events
    from training import courses

    course = service(INSTRUCTOR).create_course(title="C", modules=[{"title": "M", "lessons": [{"title": "L"}]}])
    first, second = service(INSTRUCTOR), service(INSTRUCTOR)
    real_editable = courses.editable
    raced = []

    def read_then_lose_the_race(db, who, course_id):
        found = real_editable(db, who, course_id)
        if not raced:  # another request publishes between this read and its write
            raced.append(True)
            second.publish_course(course_id)
        return found

    monkeypatch.setattr(courses, "editable", read_then_lose_the_race)
    assert first.publish_course(course["id"])["status"] == "published"
    announced = [
        call
        for worker in (first, second)
        for call in worker.events.call_args_list
        if call.args[0] == events.COURSE_PUBLISHED
    ]
    assert len(announced) == 1
