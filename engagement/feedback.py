"""Feedback on a course, a coaching session or an event: once per person and target, editable.

Only someone who took part may give it: participation facts are kept from the
events engagement consumes (COURSE_ENROLLED, SESSION_COMPLETED, EVENT_REGISTERED...).
"""

import uuid

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common.clock import isoformat
from common.exceptions import Forbidden, ValidationError
from engagement.store import FEEDBACK, PARTICIPATION

TARGET_TYPES = ("course", "session", "event")


def parse_target(text):
    """``"course:<id>"`` -> ``("course", "<id>")``."""
    kind, _, target_id = str(text or "").partition(":")
    if kind not in TARGET_TYPES or not target_id or len(target_id) > 100:
        raise ValidationError(
            "A target is course:<id>, session:<id> or event:<id>",
            {"target": ["course:<id>, session:<id> or event:<id>"]},
        )
    return kind, target_id


def took_part(db, user_id, kind, target_id):
    return db[PARTICIPATION].count_documents({"user_id": user_id, "target_type": kind, "target_id": target_id}) > 0


def give(db, user_id, kind, target_id, rating, comment, now):
    """``(feedback, created)``: the first feedback creates, later ones edit it."""
    if not took_part(db, user_id, kind, target_id):
        raise Forbidden(f"Only someone who took part in this {kind} may give feedback on it")
    selector = {"user_id": user_id, "target_type": kind, "target_id": target_id}
    changes = {"$set": {"rating": rating, "comment": comment, "updated_at": now}}
    insert = {"$setOnInsert": {"_id": uuid.uuid4().hex, "created_at": now}}
    try:
        before = db[FEEDBACK].find_one_and_update(
            selector, {**changes, **insert}, upsert=True, return_document=ReturnDocument.BEFORE
        )
    except DuplicateKeyError:  # a concurrent first feedback won the insert: this one edits it
        before = db[FEEDBACK].find_one_and_update(selector, changes, return_document=ReturnDocument.BEFORE)
    return view(db[FEEDBACK].find_one(selector)), before is None


def listing(db, kind, target_id, offset, limit):
    selector = {"target_type": kind, "target_id": target_id}
    summary = list(
        db[FEEDBACK].aggregate(
            [{"$match": selector}, {"$group": {"_id": None, "average": {"$avg": "$rating"}, "count": {"$sum": 1}}}]
        )
    )
    items = db[FEEDBACK].find(selector).sort([("updated_at", -1), ("_id", 1)]).skip(offset).limit(limit)
    # A target with no feedback has no summary row (MongoDB) or one whose average is null (mongomock).
    average = summary[0]["average"] if summary else None
    average = round(average, 2) if average is not None else None
    return [view(doc) for doc in items], (summary[0]["count"] if summary else 0), average


def view(doc):
    return {
        "id": doc["_id"],
        "user_id": doc["user_id"],
        "target": f"{doc['target_type']}:{doc['target_id']}",
        "rating": doc["rating"],
        "comment": doc.get("comment"),
        "created_at": isoformat(doc.get("created_at")),
        "updated_at": isoformat(doc.get("updated_at")),
    }
