"""Announcements: an admin's message to everyone with a role, or to everyone, sent page by page off the request.

The request only records the announcement (and counts its audience); the
``send_announcements`` timer claims it (a lease, so one worker or replica at a
time), walks through the active users a page at a time (``users.list_accounts``:
oldest first, paged by key), stores each page's messages (by each user's
``announcements`` preferences) and moves the ``after`` checkpoint (the position
of the page's last user) on. A position, unlike a page number, does not move
when an account already passed is deleted or disabled, so nobody is skipped.
A worker that dies half way leaves the rest to the next claim after the lease;
a page handled twice stores nothing twice (messages are unique per
announcement, user and channel). Emails go out from the outbox timer.
"""

from pymongo import ReturnDocument

from notifications import outbox
from notifications.store import ANNOUNCEMENTS
from notifications.templates import ANNOUNCEMENTS as CATEGORY
from notifications.templates import Message

PENDING = "pending"
DONE = "done"


def create(db, announcement_id, subject, text, role, audience, created_by, now):
    document = {
        "_id": announcement_id,
        "subject": subject,
        "text": text,
        "role": role,
        "audience": audience,
        "created_by": created_by,
        "created_at": now,
        "status": PENDING,
        "after": None,
        "recipients": 0,
        "lease_until": now,
    }
    db[ANNOUNCEMENTS].insert_one(document)
    return document


def event_of(document):
    """The pseudo-event an announcement's messages are keyed by (one per announcement, user and channel)."""
    return {"event_id": f"announcement-{document['_id']}", "event_type": "ANNOUNCEMENT", "user_id": None}


def claim(db, now, lease):
    """The oldest announcement still to send whose lease is free, now leased to the caller."""
    return db[ANNOUNCEMENTS].find_one_and_update(
        {"status": PENDING, "lease_until": {"$lte": now}},
        {"$set": {"lease_until": now + lease}},
        sort=[("created_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


def page_done(db, announcement_id, after, next_after, recipients, now, lease):
    """Checkpoint: the page after the position ``after`` is stored; the next starts after ``next_after``
    (None: that page was the last, and the announcement is done). The lease is renewed for the next page.

    False when the checkpoint had moved meanwhile (another worker took over after the lease): stop then."""
    changes = {"lease_until": now + lease}
    if next_after is None:
        changes.update(status=DONE, done_at=now)
    else:
        changes["after"] = next_after
    result = db[ANNOUNCEMENTS].update_one(
        # ``after: None`` also matches announcements recorded before this checkpoint existed: they start over,
        # and the messages already stored are not stored twice.
        {"_id": announcement_id, "status": PENDING, "after": after},
        {"$set": changes, "$inc": {"recipients": recipients}},
    )
    return result.matched_count == 1


def send_pending(db, lease, page_size, list_accounts, clock):
    """Announcements still to send: walk through their audience a page at a time, storing each page's
    messages. users pages by key (``after``: the position of the last user seen), so someone deleted or
    disabled meanwhile does not shift the next pages and make anyone miss it. ``list_accounts`` is users';
    ``clock()`` the time."""
    while (announcement := claim(db, clock(), lease)) is not None:
        event = event_of(announcement)
        message = Message(CATEGORY, announcement["subject"], announcement["text"])
        filters = {"role": announcement["role"]} if announcement["role"] else {}
        after = announcement.get("after")
        while True:
            listing = list_accounts(after=after, limit=page_size, status="active", **filters)
            users = listing["items"]
            tables = outbox.read_preferences_many(db, [user["id"] for user in users])
            now = clock()
            documents = []
            for user in users:
                documents += outbox.plan(event, message, user["id"], tables[str(user["id"])], user.get("email"), now)
            outbox.store(db, documents)
            moved = page_done(db, announcement["_id"], after, listing["next_after"], len(users), now, lease)
            if not moved or listing["next_after"] is None:
                break  # done, or another worker took it over after the lease
            after = listing["next_after"]
