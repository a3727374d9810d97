"""MongoDB collections of notifications and their indexes (created at start).

* ``inbox``: one document per event received, ``_id`` = event_id: the
  idempotency record (a redelivered event is recognised by its id).
* ``notifications``: one document per (event, user, channel), unique on
  ``key``: the history (in-app messages are listed from it) and the outbox
  (email/SMS/push waiting to be sent, retried, digested, or failed for good).
* ``preferences``: per user, only what they changed (``_id`` = user id).
"""

import pymongo

INBOX = "inbox"
NOTIFICATIONS = "notifications"
PREFERENCES = "preferences"


def ensure_indexes(db):
    db[NOTIFICATIONS].create_index("key", unique=True)
    db[NOTIFICATIONS].create_index(
        [("user_id", pymongo.ASCENDING), ("channel", pymongo.ASCENDING), ("created_at", pymongo.DESCENDING)]
    )
    db[NOTIFICATIONS].create_index([("status", pymongo.ASCENDING), ("next_attempt_at", pymongo.ASCENDING)])
    db[NOTIFICATIONS].create_index([("status", pymongo.ASCENDING), ("due_at", pymongo.ASCENDING)])
    db[INBOX].create_index([("status", pymongo.ASCENDING), ("received_at", pymongo.ASCENDING)])
