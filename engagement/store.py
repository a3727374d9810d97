"""MongoDB collections of engagement and their indexes (created at start).

* ``activity_log``: every domain event, ``_id`` = event_id (a redelivery is a duplicate key).
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

import pymongo

from common import inbox

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
