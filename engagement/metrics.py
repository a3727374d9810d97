"""Learning analytics over a period: one value per day per series, ready to plot."""

from datetime import timedelta

from common import events as e
from engagement.store import ACTIVITY, TRACKING

# series name -> the event type counted per day
COUNTED = {
    "registrations": e.USER_REGISTERED,
    "enrollments": e.COURSE_ENROLLED,
    "completions": e.COURSE_COMPLETED,
    "sessions": e.SESSION_BOOKED,
    "events": e.EVENT_REGISTERED,
}


def days_between(first, last):
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def series(db, first, last):
    days = days_between(first, last)
    in_period = {"day": {"$gte": days[0], "$lte": days[-1]}}
    counts = {}
    for row in db[ACTIVITY].aggregate(
        [
            {"$match": {**in_period, "event_type": {"$in": list(COUNTED.values())}}},
            {"$group": {"_id": {"day": "$day", "type": "$event_type"}, "count": {"$sum": 1}}},
        ]
    ):
        counts[(row["_id"]["day"], row["_id"]["type"])] = row["count"]
    # Daily active users: anyone with an event or a tracked view that day.
    active = {}
    for collection in (ACTIVITY, TRACKING):
        for row in db[collection].aggregate(
            [
                {"$match": {**in_period, "user_id": {"$ne": None}}},
                {"$group": {"_id": {"day": "$day", "user": "$user_id"}}},
            ]
        ):
            active.setdefault(row["_id"]["day"], set()).add(row["_id"]["user"])
    result = {"daily_active_users": [len(active.get(day, ())) for day in days]}
    for name, event_type in COUNTED.items():
        result[name] = [counts.get((day, event_type), 0) for day in days]
    return {"from": days[0], "to": days[-1], "days": days, "series": result}
