"""Points per action, badges with rules, the leaderboard.

Points come from runtime settings (``points_<action>``) and go to a ledger
whose unique key is (action, user, what it was for): completing the same lesson
twice, or the same event delivered twice, earns once. Badges are unique per
user; a badge is awarded (and BADGE_AWARDED published) by whoever inserts it.
"""

import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from common import events as e
from common.clock import isoformat
from engagement.store import ACTIVITY, BADGES, LEARNING_DAYS, PEOPLE, POINTS

ENROLL = "enroll"
LESSON_COMPLETED = "lesson_completed"
ASSESSMENT_PASSED = "assessment_passed"
SESSION_ATTENDED = "session_attended"
EVENT_ATTENDED = "event_attended"
FEEDBACK_GIVEN = "feedback_given"

ACTION_OF = {
    e.COURSE_ENROLLED: ENROLL,
    e.LESSON_COMPLETED: LESSON_COMPLETED,
    e.ASSESSMENT_PASSED: ASSESSMENT_PASSED,
    e.SESSION_COMPLETED: SESSION_ATTENDED,
    e.EVENT_ATTENDED: EVENT_ATTENDED,
}
DEFAULT_POINTS = {
    ENROLL: 10,
    LESSON_COMPLETED: 5,
    ASSESSMENT_PASSED: 20,
    SESSION_ATTENDED: 15,
    EVENT_ATTENDED: 10,
    FEEDBACK_GIVEN: 2,
}


def setting_name(action):
    return f"points_{action}"


def subject_of(event):
    """What the points are for: the lesson, assessment, session or event, else the course, else the event."""
    metadata = event.get("metadata") or {}
    for key in ("lesson_id", "assessment_id", "session_id"):
        if metadata.get(key):
            return f"{key}={metadata[key]}"
    if event["event_type"].startswith("EVENT_") and metadata.get("event_id"):
        return f"event={metadata['event_id']}"
    if event.get("course_id"):
        return f"course={event['course_id']}"
    return f"occurrence={event['event_id']}"


def award_points(db, user_id, action, points, subject, at, course_id=None):
    """Add to the ledger once per (action, user, subject); True if added now."""
    if points <= 0:
        return False
    try:
        db[POINTS].insert_one(
            {
                "_id": uuid.uuid4().hex,
                "key": f"{action}:{user_id}:{subject}",
                "user_id": user_id,
                "action": action,
                "points": points,
                "subject": subject,
                "course_id": course_id,
                "at": at,
            }
        )
        return True
    except DuplicateKeyError:
        return False


# -- badges ----------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    code: str
    name: str
    description: str


FIRST_LESSON = Badge("first_lesson", "First steps", "Completed a first lesson")
FIRST_COURSE = Badge("first_course", "Course finisher", "Completed a first course")
FIVE_SESSIONS = Badge("five_sessions", "Well coached", "Attended five coaching sessions")
SEVEN_DAY_STREAK = Badge("seven_day_streak", "Seven-day streak", "Learned on seven days in a row")
FIRST_FEEDBACK = Badge("first_feedback", "Voice heard", "Gave feedback for the first time")
BADGES_LIST = (FIRST_LESSON, FIRST_COURSE, FIVE_SESSIONS, SEVEN_DAY_STREAK, FIRST_FEEDBACK)
BY_CODE = {badge.code: badge for badge in BADGES_LIST}
STREAK_DAYS = 7


def streak_ending(days, last):
    """How many consecutive days end at ``last`` within ``days`` (a set of ISO dates)."""
    count, day = 0, last
    while day.isoformat() in days:
        count += 1
        day -= timedelta(days=1)
    return count


def earned_badges(db, user_id, event_type, day):
    """The badges this user's history now earns, checked after an event of ``event_type``."""
    earned = []
    count = lambda kind: db[ACTIVITY].count_documents({"user_id": user_id, "event_type": kind})  # noqa: E731
    if event_type == e.LESSON_COMPLETED and count(e.LESSON_COMPLETED) >= 1:
        earned.append(FIRST_LESSON)
    if event_type == e.COURSE_COMPLETED and count(e.COURSE_COMPLETED) >= 1:
        earned.append(FIRST_COURSE)
    if event_type == e.SESSION_COMPLETED and count(e.SESSION_COMPLETED) >= 5:
        earned.append(FIVE_SESSIONS)
    if day is not None:
        since = (day - timedelta(days=STREAK_DAYS)).isoformat()
        days = {doc["day"] for doc in db[LEARNING_DAYS].find({"user_id": user_id, "day": {"$gte": since}})}
        if streak_ending(days, day) >= STREAK_DAYS:
            earned.append(SEVEN_DAY_STREAK)
    return earned


def award_badge(db, user_id, badge, at):
    """True if the user did not have it and has it now. It is still to be announced (``unannounced``)."""
    try:
        db[BADGES].insert_one(
            {
                "_id": uuid.uuid4().hex,
                "user_id": user_id,
                "badge": badge.code,
                "name": badge.name,
                "awarded_at": at,
                "announced": False,
            }
        )
        return True
    except DuplicateKeyError:
        return False


def unannounced(db, user_id):
    """The user's badges whose BADGE_AWARDED is not known to be published (a handler died in between)."""
    return list(db[BADGES].find({"user_id": user_id, "announced": False}).sort("awarded_at", 1))


def mark_announced(db, badge_id):
    db[BADGES].update_one({"_id": badge_id}, {"$set": {"announced": True}})


def badges_of(db, user_id):
    have = {doc["badge"]: doc for doc in db[BADGES].find({"user_id": user_id})}
    return {
        "earned": [
            {**_badge_view(BY_CODE[code]), "awarded_at": isoformat(doc["awarded_at"])}
            for code, doc in sorted(have.items(), key=lambda item: item[1]["awarded_at"])
            if code in BY_CODE
        ],
        "available": [_badge_view(badge) for badge in BADGES_LIST if badge.code not in have],
    }


def _badge_view(badge):
    return {"code": badge.code, "name": badge.name, "description": badge.description}


# -- points and the leaderboard ----------------------------------------------------


def points_of(db, user_id, since):
    def total(selector):
        rows = list(db[POINTS].aggregate([{"$match": selector}, {"$group": {"_id": None, "sum": {"$sum": "$points"}}}]))
        return rows[0]["sum"] if rows else 0

    recent = db[POINTS].find({"user_id": user_id}).sort("at", -1).limit(20)
    return {
        "user_id": user_id,
        "total": total({"user_id": user_id}),
        "this_week": total({"user_id": user_id, "at": {"$gte": since}}),
        "recent": [
            {
                "action": doc["action"],
                "points": doc["points"],
                "course_id": doc.get("course_id"),
                "at": isoformat(doc["at"]),
            }
            for doc in recent
        ],
    }


def set_leaderboard_visibility(db, user_id, visible, at):
    """Users' ``show_on_leaderboard`` as of ``at``; an older change arriving late does not undo a newer one."""
    # When a newer change is stored, the filter misses and the upsert's insert meets the existing _id.
    with contextlib.suppress(DuplicateKeyError):
        db[PEOPLE].update_one(
            {"_id": user_id, "$or": [{"visibility_at": None}, {"visibility_at": {"$lte": at}}]},
            {"$set": {"hidden": not visible, "visibility_at": at}},
            upsert=True,
        )


def hidden_users(db):
    return [doc["_id"] for doc in db[PEOPLE].find({"hidden": True}, {"_id": 1})]


def leaderboard(db, since=None, course_id=None, limit=10):
    """Top ``limit`` by points, leaving out whoever chose not to show on the leaderboard."""
    selector = {}
    hidden = hidden_users(db)
    if hidden:
        selector["user_id"] = {"$nin": hidden}
    if since is not None:
        selector["at"] = {"$gte": since}
    if course_id:
        selector["course_id"] = course_id
    rows = list(
        db[POINTS].aggregate(
            [
                {"$match": selector},
                {"$group": {"_id": "$user_id", "points": {"$sum": "$points"}}},
                {"$sort": {"points": -1, "_id": 1}},
                {"$limit": limit},
            ]
        )
    )
    names = {doc["_id"]: doc.get("name") for doc in db[PEOPLE].find({"_id": {"$in": [row["_id"] for row in rows]}})}
    return [
        {"rank": rank, "user_id": row["_id"], "name": names.get(row["_id"]), "points": row["points"]}
        for rank, row in enumerate(rows, start=1)
    ]


def start_of_week(now):
    """Monday 00:00 UTC of ``now``'s week: where "this week" of points and the leaderboard begins."""
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=now.weekday())
