"""Attempts: limit, wait, server-side time limit with both overdue policies, shuffling, and answer visibility."""

from datetime import UTC, datetime, timedelta

import mongomock
import pytest

from common.exceptions import Conflict, ValidationError
from training import assessments
from training.contracts import AssessmentChanges
from training.contracts import NewAssessment as AssessmentSchema
from training.store import ATTEMPTS, ensure_indexes

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def db():
    database = mongomock.MongoClient().db
    ensure_indexes(database)
    return database


def make(db, **settings):
    data = AssessmentSchema().load(
        {
            "title": "Quiz",
            "questions": [{"type": "true_false", "prompt": f"Statement {index}", "correct": True} for index in range(6)]
            + [
                {
                    "type": "single_choice",
                    "prompt": "Pick",
                    "options": [{"text": str(n), "correct": n == 0} for n in range(6)],
                }
            ],
            "passing_score": 50,
            **settings,
        }
    )
    return assessments.create(db, "course-1", "inst", data)


def answers(assessment, right):
    result = []
    for question in assessment["questions"]:
        if question["type"] == "true_false":
            result.append({"question_id": question["id"], "answer": right})
        else:
            result.append(
                {"question_id": question["id"], "answer": question["correct_option_ids"][0] if right else None}
            )
    return result


def test_attempt_limit_and_resuming_the_open_attempt(db):
    quiz = make(db, max_attempts=2)
    first = assessments.start(db, quiz, "u1", now=T0)
    assert assessments.start(db, quiz, "u1", now=T0 + timedelta(seconds=5))["_id"] == first["_id"]  # resumes
    assessments.submit(db, quiz, "u1", answers(quiz, False), now=T0)
    assessments.start(db, quiz, "u1", now=T0)
    assessments.submit(db, quiz, "u1", answers(quiz, True), now=T0)
    with pytest.raises(Conflict):
        assessments.start(db, quiz, "u1", now=T0)
    with pytest.raises(ValidationError):  # nothing open to submit
        assessments.submit(db, quiz, "u1", answers(quiz, True), now=T0)
    result = assessments.result(db, quiz, "u1")
    assert result["attempts_used"] == 2 and result["attempts_left"] == 0 and result["passed"] is True
    # after_last_attempt (the default): now that none remain, answers show.
    assert result["answers_shown"] is True and "correct_answer" in result["feedback"][0]


def test_wait_between_attempts(db):
    quiz = make(db, wait_seconds=600)
    assessments.start(db, quiz, "u1", now=T0)
    assessments.submit(db, quiz, "u1", answers(quiz, False), now=T0)
    with pytest.raises(Conflict) as refused:
        assessments.start(db, quiz, "u1", now=T0 + timedelta(seconds=300))
    assert refused.value.details["retry_after_seconds"] == 301
    assert assessments.start(db, quiz, "u1", now=T0 + timedelta(seconds=600))["number"] == 2


def test_overdue_submission_refused_closes_the_attempt_without_points(db):
    quiz = make(db, time_limit_seconds=60, overdue_policy="refuse")
    attempt = assessments.start(db, quiz, "u1", now=T0)
    assert attempt["deadline"] == T0 + timedelta(seconds=60)
    with pytest.raises(ValidationError):
        assessments.submit(db, quiz, "u1", answers(quiz, True), now=T0 + timedelta(seconds=120))
    closed = db[ATTEMPTS].find_one({"_id": attempt["_id"]})
    assert closed["status"] == "expired" and closed["score"] == 0.0 and closed["passed"] is False


def test_overdue_submission_scored_and_marked_late(db):
    quiz = make(db, time_limit_seconds=60, overdue_policy="score")
    assessments.start(db, quiz, "u1", now=T0)
    attempt = assessments.submit(db, quiz, "u1", answers(quiz, True), now=T0 + timedelta(seconds=120))
    assert attempt["late"] is True and attempt["passed"] is True
    # In time (within the grace) is not late.
    assessments.start(db, quiz, "u2", now=T0)
    assert assessments.submit(db, quiz, "u2", answers(quiz, True), now=T0 + timedelta(seconds=62))["late"] is False


def test_an_abandoned_attempt_past_its_deadline_is_closed_at_the_next_start(db):
    quiz = make(db, time_limit_seconds=60, max_attempts=2)
    assessments.start(db, quiz, "u1", now=T0)
    second = assessments.start(db, quiz, "u1", now=T0 + timedelta(hours=1))
    assert second["number"] == 2
    assert [attempt["status"] for attempt in assessments.attempts_of(db, quiz["_id"], "u1")] == ["expired", "open"]


def test_an_expired_attempt_ends_at_its_deadline_so_the_wait_counts_from_there(db):
    quiz = make(db, time_limit_seconds=60, wait_seconds=3600)
    first = assessments.start(db, quiz, "u1", now=T0)
    # Back two hours later: the abandoned attempt ended at T0 + 60s, more than the wait ago.
    second = assessments.start(db, quiz, "u1", now=T0 + timedelta(hours=2))
    assert second["number"] == 2
    closed = db[ATTEMPTS].find_one({"_id": first["_id"]})
    assert closed["status"] == "expired" and assessments.as_utc(closed["submitted_at"]) == T0 + timedelta(seconds=60)
    # A refused late submission also ends the attempt at its deadline.
    assessments.submit(db, quiz, "u1", answers(quiz, True), now=T0 + timedelta(hours=2, seconds=30))
    late = make(db, time_limit_seconds=60, wait_seconds=3600)
    assessments.start(db, late, "u2", now=T0)
    with pytest.raises(ValidationError):
        assessments.submit(db, late, "u2", answers(late, True), now=T0 + timedelta(seconds=3000))
    with pytest.raises(Conflict) as refused:
        assessments.start(db, late, "u2", now=T0 + timedelta(seconds=3600))
    assert refused.value.details["retry_after_seconds"] == 61
    assert assessments.start(db, late, "u2", now=T0 + timedelta(seconds=3660))["number"] == 2


def test_latest_attempt_counts_when_the_policy_says_so(db):
    quiz = make(db, scoring_policy="latest")
    for right in (True, False):
        assessments.start(db, quiz, "u1", now=T0)
        assessments.submit(db, quiz, "u1", answers(quiz, right), now=T0)
    result = assessments.result(db, quiz, "u1")
    assert result["passed"] is False and result["counting_attempt"]["number"] == 2
    highest = make(db, scoring_policy="highest")
    for right in (True, False):
        assessments.start(db, highest, "u1", now=T0)
        assessments.submit(db, highest, "u1", answers(highest, right), now=T0)
    assert assessments.result(db, highest, "u1")["counting_attempt"]["number"] == 1


def test_shuffling_per_attempt_and_no_answers_in_what_learners_get(db):
    quiz = make(db, shuffle_questions=True, shuffle_options=True, show_answers="never")
    orders = set()
    for user in range(12):
        attempt = assessments.start(db, quiz, f"u{user}", now=T0)
        view = assessments.attempt_view(quiz, attempt)
        orders.add(tuple(question["id"] for question in view["questions"]))
        for question in view["questions"]:
            assert not set(question) & {"correct", "correct_option_ids", "accepted_answers", "answer", "explanation"}
    assert len(orders) > 1  # 7! orders: twelve equal draws would be a broken shuffle
    public = assessments.view(quiz)
    assert "correct" not in str(public["questions"])
    assessments.submit(db, quiz, "u0", answers(quiz, True), now=T0)
    result = assessments.result(db, quiz, "u0")
    assert result["passed"] and result["answers_shown"] is False and "correct_answer" not in result["feedback"][0]


@pytest.mark.parametrize(
    ("policy", "after_fail", "after_pass"),
    [("after_each_attempt", True, True), ("once_passed", False, True), ("never", False, False)],
)
def test_show_answers_policies(db, policy, after_fail, after_pass):
    quiz = make(db, show_answers=policy, max_attempts=5)
    assessments.start(db, quiz, "u1", now=T0)
    assessments.submit(db, quiz, "u1", answers(quiz, False), now=T0)
    assert assessments.result(db, quiz, "u1")["answers_shown"] is after_fail
    assessments.start(db, quiz, "u1", now=T0)
    assessments.submit(db, quiz, "u1", answers(quiz, True), now=T0)
    assert assessments.result(db, quiz, "u1")["answers_shown"] is after_pass


def test_answers_for_unknown_or_repeated_questions_are_refused(db):
    quiz = make(db)
    assessments.start(db, quiz, "u1", now=T0)
    with pytest.raises(ValidationError):
        assessments.submit(db, quiz, "u1", [{"question_id": "nope", "answer": True}], now=T0)
    first = quiz["questions"][0]["id"]
    with pytest.raises(ValidationError):
        assessments.submit(
            db, quiz, "u1", [{"question_id": first, "answer": True}, {"question_id": first, "answer": False}], now=T0
        )


def test_one_attempt_number_per_learner_even_when_two_starts_race(db):
    quiz = make(db)
    attempt = assessments.start(db, quiz, "u1", now=T0)
    duplicate = dict(attempt, _id="other")
    with pytest.raises(Exception, match="duplicate|E11000"):
        db[ATTEMPTS].insert_one(duplicate)


def test_a_numeric_answer_too_large_to_store_is_refused_before_anything_is_written(db):
    quiz = assessments.create(
        db, "course-1", "inst", AssessmentSchema().load({"title": "N", "questions": [NUMERIC], "passing_score": 50})
    )
    attempt = assessments.start(db, quiz, "u1", now=T0)
    question_id = quiz["questions"][0]["id"]
    for huge in (2**70, 2**62, -(10**16), 1e300):
        with pytest.raises(ValidationError):
            assessments.submit(db, quiz, "u1", [{"question_id": question_id, "answer": huge}], now=T0)
    stored = db[ATTEMPTS].find_one({"_id": attempt["_id"]})
    assert stored["submitted_at"] is None and "answers" not in stored and "score" not in stored  # untouched, open
    assessments.submit(db, quiz, "u1", [{"question_id": question_id, "answer": 4}], now=T0)
    assert assessments.result(db, quiz, "u1")["passed"] is True


def test_a_store_failing_half_way_leaves_the_attempt_open(db, monkeypatch):
    quiz = assessments.create(
        db, "course-1", "inst", AssessmentSchema().load({"title": "N", "questions": [NUMERIC], "passing_score": 50})
    )
    attempt = assessments.start(db, quiz, "u1", now=T0)
    question_id = quiz["questions"][0]["id"]
    # mongomock applies $set field by field: an unstorable answer fails after the fields before it were written.
    closing = assessments._closing
    monkeypatch.setattr(assessments, "_closing", lambda *args, **kw: {**closing(*args, **kw), "answers": {"q": 2**70}})
    with pytest.raises(OverflowError):
        assessments.submit(db, quiz, "u1", [{"question_id": question_id, "answer": 4}], now=T0)
    assert db[ATTEMPTS].find_one({"_id": attempt["_id"]})["submitted_at"] is None
    monkeypatch.undo()
    assessments.submit(db, quiz, "u1", [{"question_id": question_id, "answer": 4}], now=T0)
    assert assessments.result(db, quiz, "u1")["passed"] is True


def test_readers_pass_over_an_attempt_closed_with_half_a_result(db):
    """Such a record was written before ``submitted_at`` came last; every reader must still answer."""
    quiz = make(db)
    attempt = assessments.start(db, quiz, "u1", now=T0)
    db[ATTEMPTS].update_one({"_id": attempt["_id"]}, {"$set": {"submitted_at": T0, "status": "submitted"}})
    result = assessments.result(db, quiz, "u1")
    assert result["counting_attempt"] is None and result["passed"] is False and result["feedback"] == []
    assert result["attempts"][0]["score"] is None
    from training import analytics

    assert (
        analytics.course_stats(db, {"_id": "course-1", "title": "C", "status": "published"}, T0)["average_score"]
        is None
    )


NUMERIC = {"type": "numeric", "prompt": "2+2", "answer": 4}


def test_authoring_an_assessment_is_announced_with_its_settings_old_and_new_and_questions_only_as_changed(db):
    from common import events

    course = {"_id": "course-1", "title": "Course", "instructor_id": "inst"}
    announced = []

    def publish(event_type, **envelope):
        announced.append((event_type, envelope))

    data = AssessmentSchema().load(
        {"title": "Quiz", "questions": [{"type": "true_false", "prompt": "A", "correct": True}]}
    )
    quiz = assessments.add(db, publish, course, "admin-1", data)
    changes = AssessmentChanges().load(
        {"passing_score": 80, "title": "Quiz", "questions": [{"type": "true_false", "prompt": "B", "correct": False}]}
    )
    assessments.edit(db, publish, course, quiz, changes)
    assessments.remove(db, publish, course, quiz)
    assessments.remove(db, publish, course, quiz)  # gone already: announced once
    about = {"user_id": "inst", "course_id": "course-1", "course_title": "Course", "assessment_id": quiz["_id"]}
    assert announced == [
        (events.ASSESSMENT_CREATED, {**about, "assessment_title": "Quiz"}),
        (
            events.ASSESSMENT_UPDATED,
            {
                **about,
                "assessment_title": "Quiz",
                "changes": {"passing_score": {"old": 70.0, "new": 80.0}, "questions": {"changed": True}},
            },
        ),
        (events.ASSESSMENT_DELETED, {**about, "assessment_title": "Quiz"}),
    ]
