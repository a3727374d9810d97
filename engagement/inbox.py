"""Reliable consumption: an event is recorded before it is handled, and handled again until it is done.

Nameko acknowledges an event once its handler returns or raises, so an event
whose handling failed half way (the store hiccupped, a service did not answer)
would be lost for engagement. Instead:

* ``receive`` records the event in ``inbox`` under its event_id (status
  ``received``, due for a retry after a lease) before anything else; a
  redelivered event that was fully handled is recognised and changes nothing;
* the handler does its (idempotent) work, then ``mark_processed``;
* the retry timer ``claim_stale``s events still ``received`` after their lease
  (their handler failed or died) and handles them again, up to a number of
  attempts; past it they are kept as ``failed`` for an operator to look at.

If even the first write fails, the handler raises and the event handlers
requeue it (``requeue_on_error``): the broker delivers it again.
Secrets (codes) are not kept: handling never needs them.
"""

from datetime import timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from engagement.activity import SECRET_WORDS
from engagement.store import INBOX

RECEIVED = "received"
PROCESSED = "processed"
FAILED = "failed"

# How long a handler has before its event may be handled again by the timer.
LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 10


def well_formed(event):
    """Only an event with an id and a type can be recorded; anything else is dropped (never requeued)."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("event_id"), str)
        and bool(event["event_id"])
        and isinstance(event.get("event_type"), str)
    )


def scrub(value):
    """``value`` without the keys (at any depth) that hold codes, passwords, tokens or secrets."""
    if isinstance(value, dict):
        return {
            key: scrub(item)
            for key, item in value.items()
            if not any(word in str(key).lower() for word in SECRET_WORDS)
        }
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def receive(db, event, now, lease=LEASE):
    """Record ``event``; True when it is to be handled now (new, or recorded but not finished)."""
    try:
        db[INBOX].insert_one(
            {
                "_id": event["event_id"],
                "event": scrub(event),
                "event_type": event["event_type"],
                "status": RECEIVED,
                "attempts": 1,
                "received_at": now,
                "retry_at": now + lease,
            }
        )
        return True
    except DuplicateKeyError:
        # Handled before (nothing to do), or started and not finished: finish it (every step is idempotent).
        known = db[INBOX].find_one({"_id": event["event_id"]}, {"status": 1})
        return known is not None and known["status"] == RECEIVED


def mark_processed(db, event_id, now):
    db[INBOX].update_one({"_id": event_id}, {"$set": {"status": PROCESSED, "processed_at": now, "error": None}})


def claim_stale(db, now, lease=LEASE, skip=()):
    """Claim the event waiting longest past its lease (its handler failed or died); its attempts go up by one."""
    return db[INBOX].find_one_and_update(
        {"status": RECEIVED, "retry_at": {"$lte": now}, "_id": {"$nin": list(skip)}},
        {"$set": {"retry_at": now + lease}, "$inc": {"attempts": 1}},
        sort=[("retry_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


def record_error(db, event_id, error):
    db[INBOX].update_one({"_id": event_id}, {"$set": {"error": str(error)[:500]}})


def give_up(db, event_id, now):
    db[INBOX].update_one({"_id": event_id, "status": RECEIVED}, {"$set": {"status": FAILED, "failed_at": now}})


def counts(db):
    return {
        row["_id"]: row["count"] for row in db[INBOX].aggregate([{"$group": {"_id": "$status", "count": {"$sum": 1}}}])
    }
