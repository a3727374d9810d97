"""From an event to delivered messages: the inbox, the outbox, retries with backoff, digests.

Plain functions over the MongoDB database, testable without Nameko. Every
step is safe to repeat and to run on several replicas at once:

* an event is recorded in ``inbox`` under its event_id first (``common.inbox``); a
  redelivered event that was fully handled is recognised and changes nothing;
* its messages are inserted under a unique key (event, user, channel), so a
  second run of the same event cannot add a second message;
* a message is sent only by whoever claims it (``find_one_and_update`` moving its
  ``next_attempt_at`` forward by a lease), so two workers never send it both;
* a failed send is recorded with its error and tried again after a growing delay,
  until it succeeds, fails permanently, or uses up its attempts (kept as ``failed``).
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError

from common.clock import as_utc, isoformat
from notifications import preferences as prefs
from notifications.channels import DeliveryFailed
from notifications.contracts import DELIVERED, DIGESTED, FAILED, PENDING, QUEUED, SENT
from notifications.store import NOTIFICATIONS, PREFERENCES

# How long a claimed message is left to its sender before someone may try it again.
LEASE = timedelta(seconds=60)
MAX_BACKOFF_SECONDS = 6 * 3600
REDACTED = "[sent; the code is not kept]"


def backoff(attempts, base_seconds):
    """Seconds to wait after the ``attempts``-th failure: base, 2*base, 4*base... capped."""
    return min(base_seconds * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS)


@dataclass(frozen=True)
class DigestSchedule:
    """When digests go out: daily at ``hour`` (UTC, a fraction is part of an hour: 7.5 is 07:30), weekly on
    ``weekday`` (0 is Monday) at that hour. Read when the digest timer runs, so a change applies to what is
    queued already."""

    hour: float = 0.0
    weekday: int = 0

    @property
    def time_of_day(self):
        return timedelta(hours=float(self.hour) % 24)


DEFAULT_SCHEDULE = DigestSchedule()


def _day_start(moment):
    return as_utc(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def next_digest_at(moment, frequency, schedule=DEFAULT_SCHEDULE):
    """The first digest time strictly after ``moment``: the digest a message queued then goes out in."""
    start = _day_start(moment) + schedule.time_of_day
    if frequency == prefs.DAILY:
        candidate, step = start, timedelta(days=1)
    else:
        candidate, step = start + timedelta(days=(schedule.weekday - start.weekday()) % 7), timedelta(days=7)
    return candidate if candidate > as_utc(moment) else candidate + step


def last_digest_at(now, frequency, schedule=DEFAULT_SCHEDULE):
    """The latest digest time at or before ``now``: whatever was queued before it is due."""
    start = _day_start(now) + schedule.time_of_day
    if frequency == prefs.DAILY:
        candidate, step = start, timedelta(days=1)
    else:
        candidate, step = start - timedelta(days=(start.weekday() - schedule.weekday) % 7), timedelta(days=7)
    return candidate if candidate <= as_utc(now) else candidate - step


# -- preferences ------------------------------------------------------------------


def read_preferences(db, user_id):
    return prefs.effective(db[PREFERENCES].find_one({"_id": str(user_id)}))


def read_preferences_many(db, user_ids):
    """``{user_id: table}`` for many users in one query (an announcement's page of recipients)."""
    ids = [str(user_id) for user_id in user_ids]
    stored = {doc["_id"]: doc for doc in db[PREFERENCES].find({"_id": {"$in": ids}})}
    return {user_id: prefs.effective(stored.get(user_id)) for user_id in ids}


def save_preferences(db, user_id, changes, now):
    update = {"updated_at": now}
    for category, channels in (changes.get("categories") or {}).items():
        for channel, frequency in channels.items():
            update[f"categories.{category}.{channel}"] = frequency
    for key in ("phone", "push_endpoint"):
        if key in changes:
            update[key] = changes[key]
    db[PREFERENCES].update_one({"_id": str(user_id)}, {"$set": update}, upsert=True)
    return read_preferences(db, user_id)


# -- building the messages of an event ----------------------------------------------


def plan(event, message, user_id, table, email, now):
    """The notification documents for one user: one per channel their preferences choose."""
    documents = []
    addresses = {prefs.EMAIL: email, prefs.SMS: table.get("phone"), prefs.PUSH: table.get("push_endpoint")}
    for channel, frequency in prefs.channels_for(table, message.category, message.secret).items():
        if channel != prefs.IN_APP and not addresses.get(channel):
            continue
        document = {
            "_id": uuid.uuid4().hex,
            "key": f"{event['event_id']}:{user_id}:{channel}",
            "event_id": event["event_id"],
            "event_type": event["event_type"],
            "category": message.category,
            "user_id": str(user_id),
            "channel": channel,
            "address": addresses.get(channel),
            "subject": message.subject,
            "text": message.text,
            "secret": message.secret,
            "course_id": event.get("course_id"),
            "frequency": frequency,
            "attempt_count": 0,
            "attempts": [],
            "created_at": now,
        }
        if channel == prefs.IN_APP:
            document.update(status=DELIVERED, read_at=None, frequency=prefs.IMMEDIATELY)
        elif frequency == prefs.IMMEDIATELY:
            document.update(status=PENDING, next_attempt_at=now)
        else:
            # Its digest is the first one after created_at, by the schedule in force when the timer runs.
            document.update(status=QUEUED)
        documents.append(document)
    return documents


def store(db, documents):
    """Insert what is new; documents whose key exists already (an event handled twice) are skipped."""
    if not documents:
        return []
    try:
        db[NOTIFICATIONS].insert_many(documents, ordered=False)
        return documents
    except BulkWriteError as exc:
        duplicates = {error["index"] for error in exc.details.get("writeErrors", []) if error.get("code") == 11000}
        if len(duplicates) != len(exc.details.get("writeErrors", [])):
            raise
        return [doc for index, doc in enumerate(documents) if index not in duplicates]


def due_to_send(db, event_id):
    """The ids of an event's messages still waiting to be sent (new ones and those of an interrupted run)."""
    return [doc["_id"] for doc in db[NOTIFICATIONS].find({"event_id": event_id, "status": PENDING}, {"_id": 1})]


# -- sending -------------------------------------------------------------------


def claim(db, notification_id, now, lease=LEASE):
    return db[NOTIFICATIONS].find_one_and_update(
        {"_id": notification_id, "status": PENDING, "next_attempt_at": {"$lte": now}},
        {"$set": {"next_attempt_at": now + lease}},
        return_document=ReturnDocument.AFTER,
    )


def claim_next_due(db, now, lease=LEASE, skip=()):
    """Claim the most overdue pending message, leaving out ``skip`` (those one timer run has tried already:
    with no backoff a failed message is due again at once, and must not use up its attempts in one run)."""
    return db[NOTIFICATIONS].find_one_and_update(
        {"status": PENDING, "next_attempt_at": {"$lte": now}, "_id": {"$nin": list(skip)}},
        {"$set": {"next_attempt_at": now + lease}},
        sort=[("next_attempt_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


def attempt(db, document, senders, now, max_attempts, backoff_seconds, compose_email=None):
    """Send one claimed message once; record the outcome. Returns its new status. ``compose_email(document)``
    gives an email its HTML part and headers (notifications/emails.py)."""
    sender = senders[document["channel"]]
    attempts = document.get("attempt_count", 0) + 1
    try:
        if document["channel"] == prefs.EMAIL and compose_email is not None:
            email = compose_email(document)
            provider_id = sender.send(
                document["address"],
                document["subject"],
                email.text,
                document["_id"],
                html=email.html,
                headers=email.headers,
            )
        else:
            provider_id = sender.send(document["address"], document["subject"], document["text"], document["_id"])
    except DeliveryFailed as exc:
        final = exc.permanent or attempts >= max_attempts
        status = FAILED if final else PENDING
        changes = {"status": status, "attempt_count": attempts, "last_error": str(exc)}
        if final:
            changes["failed_at"] = now
        else:
            changes["next_attempt_at"] = now + timedelta(seconds=backoff(attempts, backoff_seconds))
        db[NOTIFICATIONS].update_one(
            {"_id": document["_id"]},
            {"$set": changes, "$push": {"attempts": {"at": now, "error": str(exc), "status_code": exc.status}}},
        )
        return status
    changes = {"status": SENT, "attempt_count": attempts, "sent_at": now, "provider_message_id": provider_id}
    if document.get("secret"):
        changes["text"] = REDACTED
    db[NOTIFICATIONS].update_one(
        {"_id": document["_id"]},
        {"$set": changes, "$push": {"attempts": {"at": now, "error": None, "status_code": None}}},
    )
    return SENT


# -- digests --------------------------------------------------------------------


def due_digest_groups(db, now, schedule=DEFAULT_SCHEDULE):
    """``{(user_id, channel, address, due_at): [documents]}`` of queued messages whose digest is due.

    ``due_at`` (the first digest time after the message was queued) names the digest, so whichever timer
    run or replica gathers a message puts it in the same digest.
    """
    selector = {
        "status": QUEUED,
        "$or": [
            {"frequency": frequency, "created_at": {"$lt": last_digest_at(now, frequency, schedule)}}
            for frequency in (prefs.DAILY, prefs.WEEKLY)
        ],
    }
    groups = {}
    for doc in db[NOTIFICATIONS].find(selector).sort("created_at", 1):
        due_at = next_digest_at(doc["created_at"], doc["frequency"], schedule)
        groups.setdefault((doc["user_id"], doc["channel"], doc["address"], due_at), []).append(doc)
    return groups


def make_digest(db, user_id, channel, address, due_at, items, now):
    """One pending message carrying ``items``; the items are marked as digested. Safe to repeat."""
    key = f"digest:{user_id}:{channel}:{isoformat(due_at)}"
    lines = [f"- {item['subject']}: {item['text']}" for item in items]
    digest = {
        "_id": uuid.uuid4().hex,
        "key": key,
        "event_id": None,
        "event_type": "DIGEST",
        "category": "digest",
        "user_id": user_id,
        "channel": channel,
        "address": address,
        "subject": f"Your digest: {len(items)} update{'s' if len(items) != 1 else ''}",
        "text": "\n".join(lines),
        "secret": False,
        "frequency": prefs.IMMEDIATELY,
        "status": PENDING,
        "next_attempt_at": now,
        "attempt_count": 0,
        "attempts": [],
        "created_at": now,
        "item_ids": [item["_id"] for item in items],
    }
    try:
        db[NOTIFICATIONS].insert_one(digest)
    except DuplicateKeyError:
        digest = db[NOTIFICATIONS].find_one({"key": key})
    db[NOTIFICATIONS].update_many(
        {"_id": {"$in": digest["item_ids"]}, "status": QUEUED},
        {"$set": {"status": DIGESTED, "digest_id": digest["_id"]}},
    )
    return digest


# -- views -------------------------------------------------------------------------


def public_view(doc):
    view = {
        "id": doc["_id"],
        "event_type": doc.get("event_type"),
        "category": doc.get("category"),
        "channel": doc.get("channel"),
        "subject": doc.get("subject"),
        "text": doc.get("text"),
        "course_id": doc.get("course_id"),
        "created_at": isoformat(doc.get("created_at")),
    }
    if doc.get("channel") == prefs.IN_APP:
        view["read"] = doc.get("read_at") is not None
        view["read_at"] = isoformat(doc.get("read_at"))
    return view


def delivery_view(doc):
    view = public_view(doc)
    view.update(
        user_id=doc.get("user_id"),
        event_id=doc.get("event_id"),
        address=doc.get("address"),
        status=doc.get("status"),
        frequency=doc.get("frequency"),
        attempt_count=doc.get("attempt_count", 0),
        attempts=[
            {"at": isoformat(item.get("at")), "error": item.get("error"), "status_code": item.get("status_code")}
            for item in doc.get("attempts", [])
        ],
        last_error=doc.get("last_error"),
        sent_at=isoformat(doc.get("sent_at")),
        next_attempt_at=isoformat(doc.get("next_attempt_at")) if doc.get("status") == PENDING else None,
    )
    return view
