"""The activity log (the audit trail): every domain event, who did what, when, on what.

``SOURCES`` says which service publishes which event type; engagement subscribes
to all of them. Secrets that travel in some events (confirmation and reset
codes) are never written to the log, nor kept with the event in the inbox
(``scrub``).
"""

import contextlib
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from common import events as e
from common.clock import as_utc, isoformat, utcnow
from engagement.store import ACTIVITY, LEARNING_DAYS, PARTICIPATION, PEOPLE

SOURCES = {
    "users": (
        e.USER_REGISTERED,
        e.USER_CONFIRMED,
        e.USER_UPDATED,
        e.USER_DELETED,
        e.USER_FOLLOWED,
        e.USER_UNFOLLOWED,
        e.USER_ROLES_CHANGED,
    ),
    "auth": (
        e.USER_LOGGED_IN,
        e.USER_LOGGED_OUT,
        e.LOGIN_FAILED,
        e.ACCOUNT_LOCKED,
        e.PASSWORD_RESET_REQUESTED,
        e.PASSWORD_CHANGED,
        e.REFRESH_TOKEN_REUSED,
    ),
    "training": (
        e.COURSE_CREATED,
        e.COURSE_PUBLISHED,
        e.COURSE_ENROLLED,
        e.COURSE_UNENROLLED,
        e.LESSON_COMPLETED,
        e.VIDEO_PROGRESS,
        e.COURSE_COMPLETED,
        e.ASSESSMENT_SUBMITTED,
        e.ASSESSMENT_PASSED,
        e.CERTIFICATE_ISSUED,
    ),
    "coaching": (e.SESSION_BOOKED, e.SESSION_CANCELLED, e.SESSION_RESCHEDULED, e.SESSION_COMPLETED, e.NOTE_SHARED),
    "events": (
        e.EVENT_CREATED,
        e.EVENT_UPDATED,
        e.EVENT_CANCELLED,
        e.EVENT_REGISTERED,
        e.EVENT_WAITLISTED,
        e.EVENT_PROMOTED,
        e.EVENT_REMINDER,
        e.EVENT_ATTENDED,
    ),
    "engagement": (e.BADGE_AWARDED,),
}
SOURCE_OF = {event_type: service for service, types in SOURCES.items() for event_type in types}

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


def well_formed(event):
    """Only an event with an id and a type can be recorded; anything else is dropped (never requeued)."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("event_id"), str)
        and bool(event["event_id"])
        and isinstance(event.get("event_type"), str)
    )


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
