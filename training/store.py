"""The training service's MongoDB collections and their indexes.

Identity that matters is settled by unique indexes, so concurrent requests
cannot make two enrollments, two attempts with one number, two watch records
for one day or two certificates for one learner and course.
"""

import uuid

import pymongo

COURSES = "courses"
ENROLLMENTS = "enrollments"
WATCH = "watch_time"
ASSESSMENTS = "assessments"
ATTEMPTS = "attempts"
CERTIFICATES = "certificates"


def new_id():
    return str(uuid.uuid4())


def ensure_indexes(db):
    db[COURSES].create_index([("status", pymongo.ASCENDING), ("created_at", pymongo.DESCENDING)])
    db[COURSES].create_index("instructor_id")
    db[COURSES].create_index("modules.lessons.id")
    db[ENROLLMENTS].create_index([("user_id", pymongo.ASCENDING), ("course_id", pymongo.ASCENDING)], unique=True)
    db[ENROLLMENTS].create_index([("course_id", pymongo.ASCENDING), ("enrolled_at", pymongo.DESCENDING)])
    db[WATCH].create_index(
        [("user_id", pymongo.ASCENDING), ("video_id", pymongo.ASCENDING), ("date", pymongo.ASCENDING)], unique=True
    )
    db[WATCH].create_index([("date", pymongo.ASCENDING), ("user_id", pymongo.ASCENDING)])
    db[ASSESSMENTS].create_index("course_id")
    db[ATTEMPTS].create_index(
        [("assessment_id", pymongo.ASCENDING), ("user_id", pymongo.ASCENDING), ("number", pymongo.ASCENDING)],
        unique=True,
    )
    db[CERTIFICATES].create_index([("user_id", pymongo.ASCENDING), ("course_id", pymongo.ASCENDING)], unique=True)
