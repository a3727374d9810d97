"""Client-side engagement events (page and lesson views...) and their per-user rate limit.

The limit is a fixed one-minute window counted in MongoDB: one document per
(user, minute) incremented atomically (an upsert with ``$inc``) and removed by a
TTL index. It lives in engagement's own store, so every replica shares it with
no other moving part; Redis would be faster, but a tracking call already writes
to MongoDB, so the count costs one more small write.
"""

import uuid
from datetime import UTC, datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common.exceptions import RateLimited
from common.validation import reject_mongo_operators
from engagement.store import RATE_WINDOWS, TRACKING

WINDOW_SECONDS = 60


def hit(db, user_id, limit, now, window=WINDOW_SECONDS):
    """Count one request of ``user_id`` in this window; RateLimited past ``limit``."""
    slot = int(now.timestamp() // window)
    key = f"track:{user_id}:{slot}"
    # Kept one window past its end, then MongoDB's TTL monitor removes it.
    expires_at = datetime.fromtimestamp((slot + 2) * window, UTC)
    update = {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": expires_at}}
    try:
        doc = db[RATE_WINDOWS].find_one_and_update(
            {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER
        )
    except DuplicateKeyError:  # two first requests raced to create the window
        doc = db[RATE_WINDOWS].find_one_and_update({"_id": key}, update, return_document=ReturnDocument.AFTER)
    if doc["count"] > limit:
        raise RateLimited("Too many tracking events; try again in a minute", {"limit": limit, "window_seconds": window})


def store(db, user_id, data, now):
    document = {"_id": uuid.uuid4().hex, "user_id": user_id, "at": now, "day": now.date().isoformat(), **data}
    db[TRACKING].insert_one(document)
    return {"id": document["_id"], "type": data["type"], "recorded": True}


def record(db, user_id, data, limit, now):
    """One client-side event of ``user_id``: its properties checked, counted against ``limit``, stored."""
    reject_mongo_operators(data["properties"], "properties")
    hit(db, user_id, limit, now)
    return store(db, user_id, data, now)
