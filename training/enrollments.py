"""Enrollments: one per learner and course (a unique index settles concurrent requests)."""

import uuid
from datetime import timedelta

import pymongo
from pymongo.errors import DuplicateKeyError

from common import events
from common.clock import as_utc, isoformat, utcnow
from common.exceptions import NotFound, ValidationError
from training import courses
from training.store import COURSES, ENROLLMENTS, new_id

ACTIVE = "active"
COMPLETED = "completed"
# A client retrying an enrollment within this time saves its COURSE_ENROLLED again (a no-op if it was saved);
# shorter than the outbox keeps published entries (OUTBOX.RETENTION_SECONDS), so no retry publishes it twice.
RETRY_WINDOW = timedelta(hours=1)
# Fixed for life: the COURSE_ENROLLED of one enrollment always has the same event_id.
ENROLLED_NAMESPACE = uuid.UUID("3b0f3f7e-8a41-4d1c-9c55-6f2b1e7a9d10")


def enroll(db, user_id, course):
    """(enrollment, created): enrolling again returns the existing enrollment."""
    if course["status"] != courses.PUBLISHED:
        raise ValidationError("Only published courses take enrollments", {"course_id": ["not published"]})
    now = utcnow()
    enrollment = {
        "_id": new_id(),
        "user_id": user_id,
        "course_id": course["_id"],
        "status": ACTIVE,
        "completed_lesson_ids": [],
        "progress": 0.0,
        "enrolled_at": now,
        "last_activity_at": now,
        "completed_at": None,
    }
    try:
        db[ENROLLMENTS].insert_one(enrollment)
    except DuplicateKeyError:
        return find(db, user_id, course["_id"]), False
    return enrollment, True


def recently_enrolled(enrollment, now=None):
    return as_utc(enrollment["enrolled_at"]) > (now or utcnow()) - RETRY_WINDOW


def enrolled_event_id(enrollment):
    """The envelope event_id of an enrollment's COURSE_ENROLLED: the same for every request that saves it."""
    return uuid.uuid5(ENROLLED_NAMESPACE, f"enrolled:{enrollment['_id']}").hex


def find(db, user_id, course_id):
    return db[ENROLLMENTS].find_one({"user_id": user_id, "course_id": str(course_id)})


def require(db, user_id, course_id):
    enrollment = find(db, user_id, course_id)
    if enrollment is None:
        raise NotFound("You are not enrolled in this course")
    return enrollment


def unenroll(db, user_id, course_id):
    return db[ENROLLMENTS].delete_one({"user_id": user_id, "course_id": str(course_id)}).deleted_count > 0


def touch(db, enrollment_id):
    db[ENROLLMENTS].update_one({"_id": enrollment_id}, {"$set": {"last_activity_at": utcnow()}})


def view(enrollment, course=None):
    result = {
        "id": enrollment["_id"],
        "user_id": enrollment["user_id"],
        "course_id": enrollment["course_id"],
        "status": enrollment["status"],
        "progress": enrollment["progress"],
        "completed_lesson_ids": list(enrollment.get("completed_lesson_ids", [])),
        "enrolled_at": isoformat(enrollment["enrolled_at"]),
        "last_activity_at": isoformat(enrollment.get("last_activity_at")),
        "completed_at": isoformat(enrollment.get("completed_at")),
    }
    if course is not None:
        result["course"] = courses.course_view(course, with_modules=False)
    return result


def mine(db, user_id, offset, limit):
    selector = {"user_id": user_id}
    total = db[ENROLLMENTS].count_documents(selector)
    rows = list(
        db[ENROLLMENTS]
        .find(selector)
        .sort([("enrolled_at", pymongo.DESCENDING), ("_id", pymongo.ASCENDING)])
        .skip(offset)
        .limit(limit)
    )
    by_id = {course["_id"]: course for course in db[COURSES].find({"_id": {"$in": [row["course_id"] for row in rows]}})}
    return [view(row, by_id.get(row["course_id"])) for row in rows], total


# -- the learner's flows --------------------------------------------------------------


def join(db, announce, caller, course_id):
    """Enroll the caller; enrolling again answers the existing enrollment."""
    user_id = caller.require_user()
    course = courses.visible(db, caller, course_id)
    enrollment, created = enroll(db, user_id, course)
    if created or recently_enrolled(enrollment):
        # A retry that finds the enrollment saves its outbox entry again (a no-op when it is there): an
        # enrollment whose first request died before saving its event still gets it.
        announce(
            events.COURSE_ENROLLED,
            user_id=user_id,
            course_id=course["_id"],
            envelope_id=enrolled_event_id(enrollment),
            title=course["title"],
        )
    return dict(view(enrollment), created=created, enrolled=True)


def leave(db, announce, caller, course_id):
    user_id = caller.require_user()
    course = courses.find(db, course_id)
    if not unenroll(db, user_id, course["_id"]):
        raise NotFound("You are not enrolled in this course")
    announce(events.COURSE_UNENROLLED, user_id=user_id, course_id=course["_id"])
    return {"enrolled": False, "course_id": course["_id"]}


def status(db, caller, course_id):
    user_id = caller.require_user()
    course = courses.visible(db, caller, course_id)
    enrollment = find(db, user_id, course["_id"])
    if enrollment is None:
        return {"enrolled": False, "course_id": course["_id"]}
    return dict(view(enrollment), enrolled=True)
