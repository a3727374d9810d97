"""The activity log (the audit trail): every domain event, who did what, when, on what.

engagement subscribes to every event type of the catalogue (``common.events``).
Secrets that travel in some events (confirmation and reset codes) are never
written to the log, nor kept with the event in the inbox (``scrub``).
"""

import contextlib
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from common import events as e
from common.clock import as_utc, isoformat, utcnow
from common.pagination import offset_of, page_of
from engagement.store import ACTIVITY, LEARNING_DAYS, PARTICIPATION, PEOPLE

# The publishing service of each event type, from the catalogue (logged with each event as its ``service``).
SOURCE_OF = e.PUBLISHER_OF

SECRET_WORDS = ("code", "password", "token", "secret")

# Events that count a day as a learning day (for streaks).
LEARNING = frozenset({e.LESSON_COMPLETED, e.VIDEO_PROGRESS, e.ASSESSMENT_SUBMITTED, e.COURSE_COMPLETED})

# Events that make someone a participant of what they are about (for feedback).
PARTICIPATION_OF = {
    e.COURSE_ENROLLED: "course",
    e.COURSE_COMPLETED: "course",
    e.SESSION_COMPLETED: "session",
    e.EVENT_REGISTERED: "event",
    e.EVENT_PROMOTED: "event",
    e.EVENT_ATTENDED: "event",
}


def scrub(value):
    """``value`` without the keys (at any depth) that hold codes, passwords, tokens or secrets: the event as
    the inbox keeps it (handling never needs them)."""
    if isinstance(value, dict):
        return {
            key: scrub(item)
            for key, item in value.items()
            if not any(word in str(key).lower() for word in SECRET_WORDS)
        }
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def redact(metadata):
    return {
        key: value
        for key, value in (metadata or {}).items()
        if not any(word in key.lower() for word in SECRET_WORDS)
        and (isinstance(value, (str, int, float, bool, list)) or value is None)
    }


def target_of(event):
    """``(type, id)`` of what an event is about, or ``(None, None)``."""
    metadata = event.get("metadata") or {}
    if metadata.get("session_id"):
        return "session", str(metadata["session_id"])
    if event["event_type"].startswith("EVENT_") and metadata.get("event_id"):
        return "event", str(metadata["event_id"])
    if event.get("course_id"):
        return "course", str(event["course_id"])
    if metadata.get("followee_id"):
        return "user", str(metadata["followee_id"])
    return None, None


def moment_of(event):
    try:
        return as_utc(datetime.fromisoformat(str(event.get("timestamp")).replace("Z", "+00:00")))
    except ValueError:
        return utcnow()


def record(db, event, now):
    """Write the event to the log; False if it was there already (a redelivery)."""
    moment = moment_of(event)
    target_type, target_id = target_of(event)
    try:
        db[ACTIVITY].insert_one(
            {
                "_id": event["event_id"],
                "event_type": event["event_type"],
                "service": SOURCE_OF.get(event["event_type"]),
                "user_id": event.get("user_id"),
                "course_id": event.get("course_id"),
                "target_type": target_type,
                "target_id": target_id,
                "metadata": redact(event.get("metadata")),
                "timestamp": moment,
                "day": moment.date().isoformat(),
                "recorded_at": now,
            }
        )
        return True
    except DuplicateKeyError:
        return False


def remember_facts(db, event):
    """Participation, learning days and names: read models kept from the events. Idempotent."""
    user_id = event.get("user_id")
    if not user_id:
        return
    moment = moment_of(event)
    metadata = event.get("metadata") or {}
    kind = PARTICIPATION_OF.get(event["event_type"])
    if kind is not None:
        target_type, target_id = target_of(event)
        if target_type == kind and target_id:
            upsert_once(
                db[PARTICIPATION],
                {"user_id": user_id, "target_type": kind, "target_id": target_id},
                {"since": moment, "event_type": event["event_type"]},
            )
    if event["event_type"] in LEARNING:
        mark_learning_day(db, user_id, moment.date().isoformat())
    if event["event_type"] == e.USER_REGISTERED and metadata.get("name"):
        # The name at registration, unless a later one (USER_UPDATED, on another queue) arrived first.
        with contextlib.suppress(DuplicateKeyError):
            db[PEOPLE].update_one({"_id": user_id, "name": None}, {"$set": {"name": metadata["name"]}}, upsert=True)


def mark_learning_day(db, user_id, day):
    upsert_once(db[LEARNING_DAYS], {"user_id": user_id, "day": day}, {"at": utcnow()})


def upsert_once(collection, key, fields):
    """Insert ``key`` + ``fields`` unless a document with ``key`` exists (its unique index settles races)."""
    # A concurrent upsert may insert it first: then the fact is there, which is all we want.
    with contextlib.suppress(DuplicateKeyError):
        collection.update_one(key, {"$setOnInsert": fields}, upsert=True)


def log_view(doc):
    return {
        "id": doc["_id"],
        "event_type": doc["event_type"],
        "service": doc.get("service"),
        "user_id": doc.get("user_id"),
        "course_id": doc.get("course_id"),
        "target": {"type": doc.get("target_type"), "id": doc.get("target_id")} if doc.get("target_type") else None,
        "metadata": doc.get("metadata") or {},
        "timestamp": isoformat(doc.get("timestamp")),
    }


def listing(db, user_id, event_type, since, until, page, page_size):
    """One page of the log, newest first, filtered by user, event type and period (each optional)."""
    selector = {}
    if user_id:
        selector["user_id"] = user_id
    if event_type:
        selector["event_type"] = event_type
    period = {}
    if since:
        period["$gte"] = since
    if until:
        period["$lte"] = until
    if period:
        selector["timestamp"] = period
    cursor = (
        db[ACTIVITY]
        .find(selector)
        .sort([("timestamp", -1), ("_id", 1)])
        .skip(offset_of(page, page_size))
        .limit(page_size)
    )
    return page_of([log_view(doc) for doc in cursor], db[ACTIVITY].count_documents(selector), page, page_size)
