"""The stored messages as people and admins read them: a user's in-app inbox, every delivery, the counts.

Plain functions over the MongoDB database (``notifications.store`` names the collections).
"""

from common.clock import isoformat
from common.exceptions import NotFound
from common.pagination import offset_of, page_of
from notifications import announcements, outbox
from notifications.contracts import IN_APP
from notifications.store import ANNOUNCEMENTS, INBOX, NOTIFICATIONS, PREFERENCES


def inbox_page(db, user_id, unread, page, page_size):
    """The user's in-app messages, newest first (only unread ones if ``unread``), with the unread count."""
    mine = {"user_id": user_id, "channel": IN_APP}
    selector = {**mine, "read_at": None} if unread else mine
    listing = newest_first(db, selector, page, page_size, outbox.public_view)
    listing["unread"] = db[NOTIFICATIONS].count_documents({**mine, "read_at": None})
    return listing


def mark_read(db, user_id, notification_id, now):
    collection = db[NOTIFICATIONS]
    mine = {"_id": str(notification_id), "user_id": user_id, "channel": IN_APP}
    collection.update_one({**mine, "read_at": None}, {"$set": {"read_at": now}})
    document = collection.find_one(mine)
    if document is None:
        raise NotFound("No such notification")
    return outbox.public_view(document)


def mark_all_read(db, user_id, now):
    result = db[NOTIFICATIONS].update_many(
        {"user_id": user_id, "channel": IN_APP, "read_at": None}, {"$set": {"read_at": now}}
    )
    return {"updated": result.modified_count}


def deliveries_page(db, user_id, status, channel, page, page_size):
    """Every message on every channel (filtered by user, status and channel), with its status and attempts."""
    given = {"user_id": user_id, "status": status, "channel": channel}
    selector = {key: value for key, value in given.items() if value}
    return newest_first(db, selector, page, page_size, outbox.delivery_view)


def newest_first(db, selector, page, page_size, view):
    """One page of the messages ``selector`` picks, newest first, each shown through ``view``."""
    collection = db[NOTIFICATIONS]
    cursor = (
        collection.find(selector)
        .sort([("created_at", -1), ("_id", -1)])
        .skip(offset_of(page, page_size))
        .limit(page_size)
    )
    return page_of([view(doc) for doc in cursor], collection.count_documents(selector), page, page_size)


def forget_user(db, user_id):
    """The account is gone: its preferences and messages go too."""
    db[PREFERENCES].delete_one({"_id": str(user_id)})
    db[NOTIFICATIONS].delete_many({"user_id": str(user_id)})


def stats(db, now):
    def counts(key):
        rows = db[NOTIFICATIONS].aggregate([{"$group": {"_id": f"${key}", "count": {"$sum": 1}}}])
        return {row["_id"]: row["count"] for row in rows}

    by_status = counts("status")
    return {
        "notifications": sum(by_status.values()),
        "by_status": by_status,
        "by_channel": counts("channel"),
        "events_received": db[INBOX].count_documents({}),
        "announcements_pending": db[ANNOUNCEMENTS].count_documents({"status": announcements.PENDING}),
        "generated_at": isoformat(now),
    }
