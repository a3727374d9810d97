"""The training service's MongoDB collections, their indexes, and the repositories the worker gets.

Identity that matters is settled by unique indexes, so concurrent requests
cannot make two enrollments, two attempts with one number, two watch records
for one day or two certificates for one learner and course.

The repositories (``self.store.<name>``, from ``common.stores.MongoStore``)
hold the queries entrypoints need on their own; the flows of the domain
modules take the worker's database (``self.store.session``).
"""

import uuid

import pymongo

from training import media

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
    # One certificate per learner, course and reissue number (absent on the first): a reissue adds one.
    if "user_id_1_course_id_1" in db[CERTIFICATES].index_information():
        db[CERTIFICATES].drop_index("user_id_1_course_id_1")
    db[CERTIFICATES].create_index(
        [("user_id", pymongo.ASCENDING), ("course_id", pymongo.ASCENDING), ("reissue", pymongo.ASCENDING)],
        unique=True,
    )
    # A reissued certificate names the one it replaces (read back by training/certificates.with_replacements).
    db[CERTIFICATES].create_index("replaces", sparse=True)


class Repository:
    """One collection of the worker's database."""

    name = None

    def __init__(self, database):
        self.collection = database[self.name]

    def count(self, **criteria):
        return self.collection.count_documents(criteria)


class Courses(Repository):
    name = COURSES


class Enrollments(Repository):
    name = ENROLLMENTS


class Assessments(Repository):
    name = ASSESSMENTS

    def of_course(self, course_id):
        return list(self.collection.find({"course_id": course_id}).sort("created_at", 1))


class Attempts(Repository):
    name = ATTEMPTS


class Certificates(Repository):
    name = CERTIFICATES

    def page_of_user(self, user_id, offset, limit):
        criteria = {"user_id": user_id}
        cursor = self.collection.find(criteria).sort([("issued_at", -1), ("_id", 1)]).skip(offset).limit(limit)
        return list(cursor), self.collection.count_documents(criteria)


class MediaItems(Repository):
    """Media metadata; the bytes are in the storage backend (``training/media_storage.py``)."""

    name = media.COLLECTION

    def add(self, doc):
        self.collection.insert_one(doc)
        return doc

    def get(self, media_id):
        return media.find_media(self.collection, media_id)

    def mark_uploaded(self, media_id, size, now, only_once=False):
        return media.mark_uploaded(self.collection, media_id, size, now, only_once=only_once)

    def page(self, criteria, offset, limit):
        cursor = self.collection.find(criteria).sort([("created_at", -1), ("_id", 1)]).skip(offset)
        return list(cursor.limit(limit)), self.collection.count_documents(criteria)

    def change(self, media_id, changes):
        if changes:
            self.collection.update_one({"_id": media_id}, {"$set": changes})
        return self.get(media_id)

    def delete(self, media_id):
        """Whether this call deleted it (of two concurrent deletions, one did)."""
        return bool(self.collection.delete_one({"_id": media_id}).deleted_count)


REPOSITORIES = {
    "courses": Courses,
    "enrollments": Enrollments,
    "assessments": Assessments,
    "attempts": Attempts,
    "certificates": Certificates,
    "media": MediaItems,
}
