"""MongoDB collections of notifications and their indexes (created at start).

* ``inbox``: one document per event received, ``_id`` = event_id: the
  idempotency record (a redelivered event is recognised by its id), with the
  lease of whoever is handling it (``common.inbox``, which makes its indexes).
* ``notifications``: one document per (event, user, channel), unique on
  ``key``: the history (in-app messages are listed from it) and the outbox
  (email/SMS/push waiting to be sent, retried, digested, or failed for good).
* ``preferences``: per user, only what they changed (``_id`` = user id).
* ``announcements``: an admin's message to a role or everyone, sent to its audience page by page by a
  timer (``after``, the position in users' key-ordered walk, is the checkpoint), not inside the request.
"""

import pymongo

from common import inbox

INBOX = "inbox"
NOTIFICATIONS = "notifications"
PREFERENCES = "preferences"
ANNOUNCEMENTS = "announcements"


def ensure_indexes(db):
    db[NOTIFICATIONS].create_index("key", unique=True)
    db[NOTIFICATIONS].create_index(
        [("user_id", pymongo.ASCENDING), ("channel", pymongo.ASCENDING), ("created_at", pymongo.DESCENDING)]
    )
    db[NOTIFICATIONS].create_index([("status", pymongo.ASCENDING), ("next_attempt_at", pymongo.ASCENDING)])
    db[NOTIFICATIONS].create_index(
        [("status", pymongo.ASCENDING), ("frequency", pymongo.ASCENDING), ("created_at", pymongo.ASCENDING)]
    )
    inbox.ensure_indexes(db[INBOX])
    db[ANNOUNCEMENTS].create_index([("status", pymongo.ASCENDING), ("lease_until", pymongo.ASCENDING)])
