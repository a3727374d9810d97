"""Lesson completion, progress in percent, and course completion.

A course is completed when every required lesson is done and every required
assessment is passed. Completion is recorded with a conditional update
(``completed_at`` still empty), so exactly one request wins and announces it.
"""

from pymongo import ReturnDocument

from common.clock import utcnow
from training import courses, scoring
from training.enrollments import COMPLETED
from training.store import ASSESSMENTS, ENROLLMENTS


def percent(done, total):
    return round(100.0 * done / total, 2) if total else 0.0


def course_percent(course, completed_ids):
    lessons = {lesson["id"] for lesson in courses.all_lessons(course)}
    return percent(len(lessons & set(completed_ids)), len(lessons))


def complete_lesson(db, enrollment, course, lesson_id):
    """(enrollment, newly_completed)."""
    added = db[ENROLLMENTS].update_one(
        {"_id": enrollment["_id"], "completed_lesson_ids": {"$ne": lesson_id}},
        {"$push": {"completed_lesson_ids": lesson_id}, "$set": {"last_activity_at": utcnow()}},
    )
    return refresh_percent(db, enrollment["_id"], course), added.modified_count > 0


def refresh_percent(db, enrollment_id, course):
    current = db[ENROLLMENTS].find_one({"_id": enrollment_id})
    value = course_percent(course, current.get("completed_lesson_ids", []))
    return db[ENROLLMENTS].find_one_and_update(
        {"_id": enrollment_id}, {"$set": {"progress": value}}, return_document=ReturnDocument.AFTER
    )


def missing_requirements(db, enrollment, course):
    done = set(enrollment.get("completed_lesson_ids", []))
    lessons = sorted(courses.required_lesson_ids(course) - done)
    assessments = [
        assessment["_id"]
        for assessment in db[ASSESSMENTS].find({"course_id": course["_id"], "required": True})
        if not scoring.has_passed(db, assessment, enrollment["user_id"])
    ]
    return {"lessons": lessons, "assessments": assessments}


def try_complete(db, enrollment, course):
    """The enrollment, and True when this call is the one that completed the course."""
    if enrollment.get("completed_at") is not None:
        return enrollment, False
    missing = missing_requirements(db, enrollment, course)
    if missing["lessons"] or missing["assessments"]:
        return enrollment, False
    won = db[ENROLLMENTS].find_one_and_update(
        {"_id": enrollment["_id"], "completed_at": None},
        {"$set": {"completed_at": utcnow(), "status": COMPLETED}},
        return_document=ReturnDocument.AFTER,
    )
    if won is None:
        return db[ENROLLMENTS].find_one({"_id": enrollment["_id"]}), False
    return won, True
