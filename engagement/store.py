"""MongoDB collections of engagement and their indexes (created at start).

* ``activity_log``: every domain event, ``_id`` = event_id (a redelivery is a duplicate key), indexed for its
  filters: time, subject, action, actor, target, request.
* ``points``: the ledger, unique on ``key`` (action, user, what it was for): points once per thing done.
* ``badges``: unique per (user, badge).
* ``feedback``: unique per (user, target type, target id): once each, edited in place.
* ``participation``: who took part in what (from COURSE_ENROLLED, SESSION_COMPLETED, EVENT_REGISTERED...).
* ``learning_days``: unique per (user, day): what streaks are made of.
* ``people``: names from USER_REGISTERED and whether each shows on the leaderboard (users' preference
  ``show_on_leaderboard``, from USER_UPDATED), for the leaderboard.
* ``inbox``: every event received, ``_id`` = event_id, until it is fully handled (then ``processed``):
  what the retry timer handles again when a handler died or failed half way (``common.inbox``, which makes
  its indexes, the TTL one included).
* ``tracking``: client-side engagement events; ``rate_windows``: the per-user limit's counters (TTL).
"""

from datetime import timedelta

import pymongo

from common import inbox
from common.clock import isoformat

ACTIVITY = "activity_log"
POINTS = "points"
BADGES = "badges"
FEEDBACK = "feedback"
PARTICIPATION = "participation"
LEARNING_DAYS = "learning_days"
PEOPLE = "people"
TRACKING = "tracking"
RATE_WINDOWS = "rate_windows"
INBOX = "inbox"

ASC, DESC = pymongo.ASCENDING, pymongo.DESCENDING


def ensure_indexes(db):
    db[ACTIVITY].create_index([("timestamp", DESC)])
    db[ACTIVITY].create_index([("user_id", ASC), ("timestamp", DESC)])
    db[ACTIVITY].create_index([("event_type", ASC), ("timestamp", DESC)])
    db[ACTIVITY].create_index([("day", ASC), ("event_type", ASC)])
    # The audit trail's filters: who did it, on what, in which request (each newest first).
    db[ACTIVITY].create_index([("actor_id", ASC), ("timestamp", DESC)])
    db[ACTIVITY].create_index([("target_type", ASC), ("target_id", ASC), ("timestamp", DESC)])
    db[ACTIVITY].create_index("request_id")
    db[POINTS].create_index("key", unique=True)
    db[POINTS].create_index([("at", DESC), ("course_id", ASC)])
    db[POINTS].create_index([("user_id", ASC), ("at", DESC)])
    db[BADGES].create_index([("user_id", ASC), ("badge", ASC)], unique=True)
    db[FEEDBACK].create_index([("user_id", ASC), ("target_type", ASC), ("target_id", ASC)], unique=True)
    db[FEEDBACK].create_index([("target_type", ASC), ("target_id", ASC), ("updated_at", DESC)])
    db[PARTICIPATION].create_index([("user_id", ASC), ("target_type", ASC), ("target_id", ASC)], unique=True)
    db[LEARNING_DAYS].create_index([("user_id", ASC), ("day", ASC)], unique=True)
    db[TRACKING].create_index([("user_id", ASC), ("at", DESC)])
    db[TRACKING].create_index([("day", ASC)])
    db[RATE_WINDOWS].create_index("expires_at", expireAfterSeconds=0)
    db[PEOPLE].create_index("hidden")
    inbox.ensure_indexes(db[INBOX])


def forget_person(db, user_id):
    """The account is gone: so are its standings and feedback. The activity log stays (the audit trail)."""
    db[PEOPLE].delete_one({"_id": user_id})
    for collection in (POINTS, BADGES, FEEDBACK):
        db[collection].delete_many({"user_id": user_id})


def set_name(db, user_id, name):
    db[PEOPLE].update_one({"_id": user_id}, {"$set": {"name": name}}, upsert=True)


def stats(db, now):
    """The admin dashboard's counts (the inbox's by status are added by the service)."""
    points = list(db[POINTS].aggregate([{"$group": {"_id": None, "sum": {"$sum": "$points"}}}]))
    return {
        "activities": db[ACTIVITY].count_documents({}),
        "activities_last_24h": db[ACTIVITY].count_documents({"timestamp": {"$gte": now - timedelta(days=1)}}),
        "points_awarded": points[0]["sum"] if points else 0,
        "badges_awarded": db[BADGES].count_documents({}),
        "feedback": db[FEEDBACK].count_documents({}),
        "tracked_events": db[TRACKING].count_documents({}),
        "events_by_status": inbox.Inbox(db[INBOX]).counts(),
        "generated_at": isoformat(now),
    }
