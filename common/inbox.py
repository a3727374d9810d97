"""The inbox of an event consumer: every domain event is recorded under its id before it is handled.

notifications and engagement consume the other services' events the same way, each in an ``inbox``
collection of its own store:

* ``receive`` records the event under ``_id = event_id`` (status ``received``, one attempt), leased to the
  caller (``lease_until``), before anything else is done. A duplicate id is a redelivery: one fully handled
  (or given up) changes nothing; one recorded but not finished is handled again by whoever received it
  (the consumers' steps are idempotent), who takes the lease again so the retry timer leaves it alone;
* a handler whose work may outlast one lease (a large fan-out) ``renew``s it as it goes, so it is not taken
  for an interrupted one and handled a second time alongside;
* ``mark_processed`` once done: a processed entry expires ``RETENTION_SECONDS`` later (a TTL index on
  ``processed_at``, far past any redelivery); one not yet handled, or given up, has no ``processed_at`` and
  stays;
* a timer ``claim_stale``s the entries still ``received`` whose lease ran out (their handler failed or died),
  one at a time (``find_one_and_update``), each leased to the claimer, so replicas do not handle one side by
  side. Every claim counts an attempt; the caller decides how many it allows and then ``give_up`` keeps the
  entry as ``failed`` with its last ``record_error``;
* a handler that failed (most often: a service it asked timed out) ``retry_soon``s its entry: it is due again
  after ``retry_delay`` (doubled with each attempt, never more than the lease), not after a whole lease.

``redact`` is applied to the event before it is stored: engagement drops the secrets it never needs;
notifications keeps the event whole, because a retry renders the messages again from it (a confirmation code
included).

pymongo API only, so it runs unchanged on MongoDB and mongomock.
"""

import logging
from datetime import timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

log = logging.getLogger(__name__)

RECEIVED = "received"
PROCESSED = "processed"
FAILED = "failed"

# How long a handler has before its event may be taken by the retry timer (unless it renews the lease).
LEASE = timedelta(seconds=60)
# How soon a failed handling is tried again (then 2x, 4x, ... with each attempt, up to the lease).
RETRY_DELAY = timedelta(seconds=5)
# A handled event is kept this long to recognise a redelivery, then MongoDB drops it.
RETENTION_SECONDS = 30 * 86400
MAX_ERROR_LENGTH = 500


def ensure_indexes(collection):
    """The claim index and the TTL index; created at start-up by each consumer's store."""
    collection.create_index([("status", ASCENDING), ("lease_until", ASCENDING)])
    collection.create_index("processed_at", expireAfterSeconds=RETENTION_SECONDS)


class Inbox:
    """One consumer's inbox: ``collection`` (pymongo), the ``lease`` its handlers and timer take, and the
    ``redact`` function an event goes through before it is stored (None: stored whole), and the
    ``retry_delay`` after a failed handling."""

    def __init__(self, collection, lease=LEASE, redact=None, retry_delay=RETRY_DELAY):
        self.collection = collection
        self.lease = lease
        self.redact = redact
        self.retry_delay = retry_delay

    def receive(self, event, now):
        """Record ``event`` leased to the caller; True when it is to be handled now (new, or recorded and not
        finished: a redelivery of an interrupted event), False when it was handled already (or given up)."""
        try:
            self.collection.insert_one(
                {
                    "_id": event["event_id"],
                    "event": event if self.redact is None else self.redact(event),
                    "event_type": event.get("event_type"),
                    "status": RECEIVED,
                    "attempts": 1,
                    "received_at": now,
                    "lease_until": now + self.lease,
                }
            )
            return True
        except DuplicateKeyError:
            taken = self.collection.update_one(
                {"_id": event["event_id"], "status": RECEIVED}, {"$set": {"lease_until": now + self.lease}}
            )
            return taken.matched_count == 1

    def renew(self, event_id, now):
        """Still handling ``event_id``: keep the retry timer off it for another lease."""
        self.collection.update_one({"_id": event_id, "status": RECEIVED}, {"$set": {"lease_until": now + self.lease}})

    def mark_processed(self, event_id, now):
        """Handled: only the id is kept (to recognise a redelivery), not the event, which may hold a code."""
        self.collection.update_one(
            {"_id": event_id},
            {"$set": {"status": PROCESSED, "processed_at": now, "error": None}, "$unset": {"event": ""}},
        )

    def claim_stale(self, now, skip=()):
        """The entry waiting longest past its lease (its handler failed or died), leased to the caller with its
        ``attempts`` counted one up; None when there is none. ``skip``: ids this run has claimed already (with a
        lease of 0 a failed entry would be due again at once)."""
        selector = {"status": RECEIVED, "lease_until": {"$lte": now}}
        if skip:
            selector["_id"] = {"$nin": list(skip)}
        return self.collection.find_one_and_update(
            selector,
            {"$set": {"lease_until": now + self.lease}, "$inc": {"attempts": 1}},
            sort=[("lease_until", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    def handle_stale(self, now, handle, max_attempts=None, limit=100):
        """The retry timer's run: hand each entry past its lease to ``handle(event)``, each at most once a run
        and at most ``limit``. A ``handle`` that raises has its error recorded and the entry waits for its
        lease to run out again, without stopping the run (one bad event must not hold back the rest); past
        ``max_attempts`` (None: no limit) the entry is given up."""
        tried = []
        for _ in range(limit):
            entry = self.claim_stale(now, skip=tried)
            if entry is None:
                return
            tried.append(entry["_id"])
            if max_attempts is not None and entry["attempts"] > max_attempts:
                self.give_up(entry["_id"], now)
                log.error("gave up on %s %s: %s", entry.get("event_type"), entry["_id"], entry.get("error"))
                continue
            try:
                handle(entry["event"])
            except Exception as exc:
                log.exception("handling %s %s failed; it will be retried", entry.get("event_type"), entry["_id"])
                self.retry_soon(entry["_id"], exc, now, entry["attempts"])

    def record_error(self, event_id, error):
        self.collection.update_one({"_id": event_id}, {"$set": {"error": str(error)[:MAX_ERROR_LENGTH]}})

    def retry_soon(self, event_id, error, now, attempts=1):
        """Handling ``event_id`` failed with ``error`` on its ``attempts``-th try: record it and make the entry
        due again after ``retry_delay * 2 ** (attempts - 1)``, at most a lease (a backlog whose calls timed out
        is not held back a whole lease, and one that keeps failing is not hammered)."""
        delay = min(self.retry_delay * 2 ** max(attempts - 1, 0), self.lease)
        self.collection.update_one(
            {"_id": event_id, "status": RECEIVED},
            {"$set": {"lease_until": now + delay, "error": str(error)[:MAX_ERROR_LENGTH]}},
        )

    def give_up(self, event_id, now):
        """Keep an entry the caller will not try again as ``failed`` (it stays, with its last error)."""
        self.collection.update_one(
            {"_id": event_id, "status": RECEIVED}, {"$set": {"status": FAILED, "failed_at": now}}
        )

    def counts(self):
        """``{status: entries}``."""
        rows = self.collection.aggregate([{"$group": {"_id": "$status", "count": {"$sum": 1}}}])
        return {row["_id"]: row["count"] for row in rows}
