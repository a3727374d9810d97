"""Assessments and attempts (quiz engine).

Attempts are numbered per learner and assessment under a unique index, so two
concurrent starts cannot both take the last attempt. The server records when
an attempt started and its deadline; a submission after the deadline is
refused (the attempt is closed with no points) or scored and marked late, as
the assessment's ``overdue_policy`` says. Answers are never part of what GET
returns; results show them only as ``show_answers`` allows.
"""

import random
from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common import events
from common.changes import changes_between
from common.clock import as_utc, isoformat, utcnow
from common.exceptions import Conflict, Forbidden, NotFound, ValidationError
from training import courses, enrollments, scoring
from training.store import ASSESSMENTS, ATTEMPTS, new_id

# Network slack before a submission counts as overdue.
GRACE_SECONDS = 5
_shuffler = random.SystemRandom()


def build_question(data):
    question = {
        "id": new_id(),
        "type": data["type"],
        "prompt": data["prompt"],
        "points": data["points"],
        "explanation": data.get("explanation", ""),
    }
    if data["type"] in (scoring.SINGLE, scoring.MULTIPLE):
        question["options"] = [{"id": new_id(), "text": option["text"]} for option in data["options"]]
        question["correct_option_ids"] = [
            option["id"] for option, given in zip(question["options"], data["options"], strict=True) if given["correct"]
        ]
    elif data["type"] == scoring.TRUE_FALSE:
        question["correct"] = data["correct"]
    elif data["type"] == scoring.SHORT:
        question["accepted_answers"] = data["accepted_answers"]
    else:
        question["answer"] = data["answer"]
        question["tolerance"] = data.get("tolerance", 0.0)
    return question


def create(db, course_id, author_id, data):
    now = utcnow()
    assessment = dict(
        data,
        _id=new_id(),
        course_id=course_id,
        created_by=author_id,
        questions=[build_question(question) for question in data["questions"]],
        created_at=now,
        updated_at=now,
    )
    db[ASSESSMENTS].insert_one(assessment)
    return assessment


def update(db, assessment, data):
    """Change settings at any time; questions only while nobody has attempted it (results would lose meaning)."""
    changes = {key: value for key, value in data.items() if key != "questions"}
    if "questions" in data:
        if db[ATTEMPTS].count_documents({"assessment_id": assessment["_id"]}, limit=1):
            raise Conflict("Questions cannot change once learners have attempted the assessment")
        changes["questions"] = [build_question(question) for question in data["questions"]]
    changes["updated_at"] = utcnow()
    return db[ASSESSMENTS].find_one_and_update(
        {"_id": assessment["_id"]}, {"$set": changes}, return_document=ReturnDocument.AFTER
    )


# -- authoring, announced (``user_id``: the course's instructor; who did it is the envelope's ``actor_id``)


def _announce(publish, event_type, course, assessment, **metadata):
    publish(
        event_type,
        user_id=course.get("instructor_id"),
        course_id=course["_id"],
        course_title=course["title"],
        assessment_id=assessment["_id"],
        assessment_title=assessment["title"],
        **metadata,
    )


def add(db, publish, course, author_id, data):
    created = create(db, course["_id"], author_id, data)
    _announce(publish, events.ASSESSMENT_CREATED, course, created)
    return created


def edit(db, publish, course, assessment, data):
    changed = update(db, assessment, data)
    if changed is None:
        raise NotFound("No such assessment")
    # Questions are a long nested list: the log records that they changed, not how.
    found = changes_between(assessment, changed, sorted(data), opaque=("questions",))
    if found:
        _announce(publish, events.ASSESSMENT_UPDATED, course, changed, changes=found)
    return changed


def remove(db, publish, course, assessment):
    if db[ASSESSMENTS].delete_one({"_id": assessment["_id"]}).deleted_count:
        _announce(publish, events.ASSESSMENT_DELETED, course, assessment)


def find(db, assessment_id):
    assessment = db[ASSESSMENTS].find_one({"_id": str(assessment_id)})
    if assessment is None:
        raise NotFound("No such assessment")
    return assessment


def for_learner(db, caller, assessment_id):
    """(user id, assessment, course) for a learner enrolled in the assessment's course."""
    user_id = caller.require_user()
    assessment = find(db, assessment_id)
    course = courses.visible(db, caller, assessment["course_id"])
    if enrollments.find(db, user_id, course["_id"]) is None:
        raise Forbidden("Enroll in the course to take its assessments")
    return user_id, assessment, course


ANSWER_KEYS = ("correct_option_ids", "correct", "accepted_answers", "answer", "tolerance", "explanation")
SETTINGS_KEYS = (
    "passing_score",
    "max_attempts",
    "wait_seconds",
    "scoring_policy",
    "time_limit_seconds",
    "overdue_policy",
    "shuffle_questions",
    "shuffle_options",
    "show_answers",
    "required",
)


def public_question(question, option_order=None):
    view = {key: value for key, value in question.items() if key not in ANSWER_KEYS}
    if option_order and "options" in view:
        by_id = {option["id"]: option for option in view["options"]}
        view["options"] = [by_id[option_id] for option_id in option_order]
    return view


def view(assessment, with_answers=False):
    result = {
        "id": assessment["_id"],
        "course_id": assessment["course_id"],
        "title": assessment["title"],
        "description": assessment.get("description", ""),
        "question_count": len(assessment["questions"]),
        "max_points": sum(question["points"] for question in assessment["questions"]),
        "created_at": isoformat(assessment["created_at"]),
        **{key: assessment[key] for key in SETTINGS_KEYS},
    }
    if with_answers:
        result["questions"] = assessment["questions"]
    else:
        result["questions"] = [public_question(question) for question in assessment["questions"]]
    return result


def attempts_of(db, assessment_id, user_id):
    return scoring.submitted_attempts(db, assessment_id, user_id)


def _deadline(assessment, started_at):
    limit = assessment.get("time_limit_seconds")
    return started_at + timedelta(seconds=limit) if limit else None


def _is_overdue(attempt, now):
    deadline = attempt.get("deadline")
    return deadline is not None and now > as_utc(deadline) + timedelta(seconds=GRACE_SECONDS)


def _close_expired(db, assessment, attempt):
    """An open attempt past its deadline closes with no points (nothing was submitted in time).

    It ends at its deadline, not when the server noticed: a ``wait_seconds`` before the next attempt
    counts from there, so a learner who comes back a day later is not told to wait again.
    """
    outcome = scoring.score(assessment["questions"], {})
    db[ATTEMPTS].update_one(
        {"_id": attempt["_id"], "submitted_at": None},
        {"$set": _closing(assessment, outcome, {}, as_utc(attempt["deadline"]), status="expired")},
    )


def _closing(assessment, outcome, answers, now, status, late=False):
    # ``submitted_at`` closes the attempt, so it comes last: a store that applies ``$set`` field by field
    # (mongomock) and fails half-way leaves the attempt open, never closed with half a result.
    return {
        "status": status,
        "late": late,
        "answers": answers,
        "results": outcome["results"],
        "points": outcome["points"],
        "max_points": outcome["max_points"],
        "score": outcome["score"],
        "passed": status == "submitted" and outcome["score"] >= assessment["passing_score"],
        "submitted_at": now,
    }


def start(db, assessment, user_id, now=None):
    """The learner's open attempt, or a new one if the attempt limit and the wait allow it."""
    now = now or utcnow()
    attempts = attempts_of(db, assessment["_id"], user_id)
    open_attempt = next((attempt for attempt in attempts if attempt.get("submitted_at") is None), None)
    if open_attempt is not None:
        if not _is_overdue(open_attempt, now):
            return open_attempt
        _close_expired(db, assessment, open_attempt)
        attempts = attempts_of(db, assessment["_id"], user_id)
    used = len(attempts)
    if assessment.get("max_attempts") and used >= assessment["max_attempts"]:
        raise Conflict("No attempts left for this assessment", {"max_attempts": assessment["max_attempts"]})
    if attempts and assessment.get("wait_seconds"):
        ready_at = as_utc(attempts[-1]["submitted_at"]) + timedelta(seconds=assessment["wait_seconds"])
        if now < ready_at:
            raise Conflict(
                "Wait before the next attempt",
                {"retry_after_seconds": int((ready_at - now).total_seconds()) + 1, "available_at": isoformat(ready_at)},
            )
    questions = [question["id"] for question in assessment["questions"]]
    if assessment.get("shuffle_questions"):
        _shuffler.shuffle(questions)
    option_orders = {}
    for question in assessment["questions"]:
        if "options" in question:
            order = [option["id"] for option in question["options"]]
            if assessment.get("shuffle_options"):
                _shuffler.shuffle(order)
            option_orders[question["id"]] = order
    attempt = {
        "_id": new_id(),
        "assessment_id": assessment["_id"],
        "course_id": assessment["course_id"],
        "user_id": user_id,
        "number": (attempts[-1]["number"] if attempts else 0) + 1,
        "status": "open",
        "started_at": now,
        "deadline": _deadline(assessment, now),
        "question_order": questions,
        "option_orders": option_orders,
        "submitted_at": None,
    }
    try:
        db[ATTEMPTS].insert_one(attempt)
    except DuplicateKeyError:
        # A concurrent start took this number: the learner continues that attempt if it is still open.
        winner = db[ATTEMPTS].find_one(
            {"assessment_id": assessment["_id"], "user_id": user_id, "number": attempt["number"], "submitted_at": None}
        )
        if winner is None:
            raise Conflict("An attempt was started and ended at the same moment; start again") from None
        return winner
    return attempt


def _time_left(attempt, now=None):
    deadline = attempt.get("deadline")
    if deadline is None:
        return None
    return max(0, int((as_utc(deadline) - (now or utcnow())).total_seconds()))


def attempt_view(assessment, attempt):
    by_id = {question["id"]: question for question in assessment["questions"]}
    return {
        "id": attempt["_id"],
        "assessment_id": attempt["assessment_id"],
        "number": attempt["number"],
        "status": attempt["status"],
        "started_at": isoformat(attempt["started_at"]),
        "deadline": isoformat(attempt.get("deadline")),
        "time_left_seconds": _time_left(attempt),
        "questions": [
            public_question(by_id[question_id], attempt.get("option_orders", {}).get(question_id))
            for question_id in attempt["question_order"]
            if question_id in by_id
        ],
    }


def answers_of(assessment, submitted):
    known = {question["id"] for question in assessment["questions"]}
    answers = {}
    for item in submitted:
        if item["question_id"] not in known:
            raise ValidationError(
                "An answer names a question not in this assessment", {"answers": [item["question_id"]]}
            )
        if item["question_id"] in answers:
            raise ValidationError("A question is answered twice", {"answers": [item["question_id"]]})
        answers[item["question_id"]] = item["answer"]
    return answers


def submit(db, assessment, user_id, submitted, now=None):
    now = now or utcnow()
    answers = answers_of(assessment, submitted)
    attempt = db[ATTEMPTS].find_one({"assessment_id": assessment["_id"], "user_id": user_id, "submitted_at": None})
    if attempt is None:
        raise ValidationError("Start an attempt before submitting", {"attempt": ["none open"]})
    overdue = _is_overdue(attempt, now)
    if overdue and assessment.get("overdue_policy", "refuse") == "refuse":
        _close_expired(db, assessment, attempt)
        raise ValidationError(
            "The time limit has passed; the attempt was closed without points",
            {"deadline": [isoformat(attempt["deadline"])]},
        )
    outcome = scoring.score(assessment["questions"], answers)
    closed = db[ATTEMPTS].find_one_and_update(
        {"_id": attempt["_id"], "submitted_at": None},
        {"$set": _closing(assessment, outcome, answers, now, status="submitted", late=overdue)},
        return_document=ReturnDocument.AFTER,
    )
    if closed is None:
        raise Conflict("This attempt was already submitted")
    return closed


def first_pass(db, attempt):
    """Whether ``attempt`` is the learner's first passed attempt (ASSESSMENT_PASSED is announced once)."""
    earlier = db[ATTEMPTS].count_documents(
        {
            "assessment_id": attempt["assessment_id"],
            "user_id": attempt["user_id"],
            "passed": True,
            "number": {"$lt": attempt["number"]},
        },
        limit=1,
    )
    return earlier == 0


def answers_visible(assessment, attempts):
    policy = assessment.get("show_answers", "never")
    submitted = [attempt for attempt in attempts if scoring.is_closed(attempt)]
    if not submitted or policy == "never":
        return False
    if policy == "after_each_attempt":
        return True
    if policy == "once_passed":
        return any(attempt.get("passed") for attempt in submitted)
    # after_last_attempt: no attempt remains (never, when attempts are unlimited)
    limit = assessment.get("max_attempts")
    return bool(limit) and len(attempts) >= limit and all(a.get("submitted_at") is not None for a in attempts)


def feedback(assessment, attempt, show_answers):
    by_id = {question["id"]: question for question in assessment["questions"]}
    rows = []
    for result in attempt.get("results", []):
        row = dict(result)
        question = by_id.get(result["question_id"])
        if question is not None:
            row["prompt"] = question["prompt"]
            row["your_answer"] = attempt.get("answers", {}).get(result["question_id"])
            if show_answers:
                row["correct_answer"] = {key: question[key] for key in ANSWER_KEYS if key in question}
        rows.append(row)
    return rows


def summary(attempt):
    return {
        "id": attempt["_id"],
        "number": attempt["number"],
        "status": attempt["status"],
        "late": attempt.get("late", False),
        "started_at": isoformat(attempt["started_at"]),
        "submitted_at": isoformat(attempt.get("submitted_at")),
        "score": attempt.get("score"),
        "points": attempt.get("points"),
        "max_points": attempt.get("max_points"),
        "passed": attempt.get("passed"),
    }


def result(db, assessment, user_id):
    attempts = attempts_of(db, assessment["_id"], user_id)
    show = answers_visible(assessment, attempts)
    counting = scoring.counting_attempt(attempts, assessment["scoring_policy"])
    latest = next((a for a in reversed(attempts) if scoring.is_closed(a)), None)
    used = len(attempts)
    limit = assessment.get("max_attempts")
    return {
        "assessment_id": assessment["_id"],
        "scoring_policy": assessment["scoring_policy"],
        "passing_score": assessment["passing_score"],
        "attempts_used": used,
        "attempts_left": None if not limit else max(0, limit - used),
        "passed": bool(counting and counting.get("passed")),
        "score": counting["score"] if counting else None,
        "counting_attempt": summary(counting) if counting else None,
        "answers_shown": show,
        "attempts": [summary(attempt) for attempt in attempts],
        "feedback": feedback(assessment, latest, show) if latest else [],
    }
