"""The activity log (the audit trail): every domain event, who did it, what, when, on what, old and new values.

engagement subscribes to every event type of the catalogue (``common.events``). Each entry keeps the event's
subject (``user_id``), its actor (``actor_id``: the signed-in caller whose request caused it, null for an
operator's or internal call) and the gateway's ``request_id`` (both from the envelope), the action (the event
type), its target (kind and id: the catalogue's, else a session, an event, a course or a followee) and what an
edit changed (``changes``: ``{field: {"old", "new"}}``). Secrets that travel in some events (confirmation and
reset codes) are never written to the log, nor kept with the event in the inbox (``scrub``).
"""

import base64
import contextlib
import csv
import io
import json
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from common import events as e
from common.clock import as_utc, isoformat, utcnow
from common.exceptions import ValidationError
from common.pagination import offset_of, page_of
from engagement.store import ACTIVITY, LEARNING_DAYS, PARTICIPATION, PEOPLE

# The publishing service of each event type, from the catalogue (logged with each event as its ``service``);
# a type several services publish (SETTING_CHANGED) names its service in its metadata.
SOURCE_OF = e.PUBLISHER_OF

# Events that mean nothing to engagement but the log: its consumer takes them all through one queue.
LOGGED_ONLY = (
    e.COURSE_UPDATED,
    e.COURSE_DELETED,
    e.MODULE_ADDED,
    e.MODULE_UPDATED,
    e.MODULE_DELETED,
    e.LESSON_ADDED,
    e.LESSON_UPDATED,
    e.LESSON_DELETED,
    e.ASSESSMENT_CREATED,
    e.ASSESSMENT_UPDATED,
    e.ASSESSMENT_DELETED,
    e.MEDIA_UPDATED,
    e.MEDIA_DELETED,
    e.SETTING_CHANGED,
)

# A CSV export holds at most this many rows (newest first); narrow the filters for more.
MAX_CSV_ROWS = 10_000
CSV_COLUMNS = (
    "timestamp",
    "action",
    "service",
    "actor_id",
    "user_id",
    "target_type",
    "target_id",
    "request_id",
    "changes",
    "metadata",
    "id",
)

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
    """``(type, id)`` of what an event is about, or ``(None, None)``: the catalogue's target for its type, else
    the session, the platform event, the course or the followee it names."""
    named = e.target_of(event)
    if named is not None:
        return named
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


def changes_of(event):
    """What the event says changed, ``{field: {"old", "new"}}`` (or ``{"changed": true}``), without secrets."""
    metadata = event.get("metadata") or {}
    event_type = event["event_type"]
    if event_type == e.SETTING_CHANGED:
        found = {"value": {"old": metadata.get("old_value"), "new": metadata.get("new_value")}}
    elif event_type == e.USER_ROLES_CHANGED:
        found = {"roles": {"old": metadata.get("before"), "new": metadata.get("after")}}
    elif event_type == e.USER_DISABLED and metadata.get("status"):
        found = {"status": {"old": metadata.get("previous_status"), "new": metadata["status"]}}
    else:
        found = metadata.get("changes") if isinstance(metadata.get("changes"), dict) else {}
    return {field: scrub(value) for field, value in scrub(found).items() if isinstance(value, dict)}


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
                "service": SOURCE_OF.get(event["event_type"]) or (event.get("metadata") or {}).get("service"),
                "user_id": event.get("user_id"),
                "actor_id": event.get("actor_id"),
                "request_id": event.get("request_id"),
                "course_id": event.get("course_id"),
                "target_type": target_type,
                "target_id": target_id,
                "changes": changes_of(event),
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
        "action": doc["event_type"],
        "service": doc.get("service"),
        "user_id": doc.get("user_id"),
        "actor_id": doc.get("actor_id"),
        "request_id": doc.get("request_id"),
        "course_id": doc.get("course_id"),
        "target": {"type": doc.get("target_type"), "id": doc.get("target_id")} if doc.get("target_type") else None,
        "changes": doc.get("changes") or {},
        "metadata": doc.get("metadata") or {},
        "timestamp": isoformat(doc.get("timestamp")),
    }


def _one_of(name, value, alias_name, alias):
    """A filter given under its name or its older alias (``type`` for ``action``, ``from`` for ``since``...)."""
    if value is not None and alias is not None and value != alias:
        raise ValidationError(f"Give {name} or {alias_name}, not both", {alias_name: [f"an alias of {name}"]})
    return value if value is not None else alias


def selector(
    user_id=None,
    actor_id=None,
    action=None,
    target_type=None,
    target_id=None,
    request_id=None,
    since=None,
    until=None,
):
    """The MongoDB filter of the log's query (every criterion optional; the period's ends included)."""
    if since is not None and until is not None and since > until:
        raise ValidationError("The period starts after it ends", {"since": ["after until"]})
    found = {}
    for key, value in (
        ("user_id", user_id),
        ("actor_id", actor_id),
        ("event_type", action),
        ("target_type", target_type),
        ("target_id", target_id),
        ("request_id", request_id),
    ):
        if value is not None:
            found[key] = value
    period = {}
    if since is not None:
        period["$gte"] = since
    if until is not None:
        period["$lte"] = until
    if period:
        found["timestamp"] = period
    return found


def query_of(type=None, from_=None, to=None, action=None, since=None, until=None, **criteria):  # noqa: A002
    """The log's filter from the query's names, the older ones included (``type``, ``from``, ``to``)."""
    return selector(
        action=_one_of("action", action, "type", type),
        since=_one_of("since", since, "from", from_),
        until=_one_of("until", until, "to", to),
        **criteria,
    )


def _newest_first(db, criteria):
    return db[ACTIVITY].find(criteria).sort([("timestamp", -1), ("_id", 1)])


def listing(db, criteria, page, page_size):
    """One page of the log, newest first."""
    cursor = _newest_first(db, criteria).skip(offset_of(page, page_size)).limit(page_size)
    return page_of([log_view(doc) for doc in cursor], db[ACTIVITY].count_documents(criteria), page, page_size)


def _cell(value):
    """A CSV cell: JSON for a structure, and text a spreadsheet would run as a formula made plain text."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, sort_keys=True, default=str)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_row(entry):
    target = entry.get("target") or {}
    row = {**entry, "target_type": target.get("type"), "target_id": target.get("id")}
    return {column: _cell(row.get(column)) for column in CSV_COLUMNS}


def export_csv(db, criteria, limit=MAX_CSV_ROWS):
    """The entries the filters select, newest first, at most ``limit``, as a CSV file the gateway sends as is."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for doc in _newest_first(db, criteria).limit(limit):
        writer.writerow(csv_row(log_view(doc)))
    return {
        "content_type": "text/csv; charset=utf-8",
        "filename": f"activity-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.csv",
        "body_base64": base64.b64encode(text.getvalue().encode("utf-8")).decode("ascii"),
    }
