"""Announcements: an admin's message to everyone with a role, or to everyone, sent page by page off the request.

The request only records the announcement (and counts its audience); the
``send_announcements`` timer claims it (a lease, so one worker or replica at a
time), pages through the active users, stores each page's messages (by each
user's ``announcements`` preferences) and moves the ``next_page`` checkpoint on.
A worker that dies half way leaves the rest to the next claim after the lease;
a page handled twice stores nothing twice (messages are unique per
announcement, user and channel). Emails go out from the outbox timer.
"""

from pymongo import ReturnDocument

from notifications.store import ANNOUNCEMENTS

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
        "next_page": 1,
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


def page_done(db, announcement_id, page, recipients, now, lease):
    """Checkpoint: ``page`` is stored; the lease is renewed for the next one."""
    db[ANNOUNCEMENTS].update_one(
        {"_id": announcement_id, "next_page": page},
        {"$set": {"next_page": page + 1, "lease_until": now + lease}, "$inc": {"recipients": recipients}},
    )


def finish(db, announcement_id, now):
    db[ANNOUNCEMENTS].update_one({"_id": announcement_id}, {"$set": {"status": DONE, "done_at": now}})
