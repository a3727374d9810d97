"""Daily attendance, derived from the day's watch time.

A day is ``present`` when the learner's total watch time that day (all
videos) reaches the runtime setting ``training.attendance_min_seconds``.
It is computed from the watch records when asked, so it can never disagree
with them, and a change of the setting applies to past days too.
"""

from datetime import date, timedelta

from common.exceptions import ValidationError
from training.store import WATCH
from training.watchtime import hhmmss

PRESENT = "present"
ABSENT = "absent"
# A range asked for defaults to the last DEFAULT_DAYS days and may span at most MAX_DAYS (a year), so one
# request cannot make the service build an unbounded list of days.
DEFAULT_DAYS = 30
MAX_DAYS = 366


def parse_day(text):
    try:
        return date.fromisoformat(str(text)).isoformat()
    except ValueError:
        raise ValidationError("A date as YYYY-MM-DD", {"date": ["not a date"]}) from None


def row(total_seconds, min_seconds, **extra):
    return dict(
        extra,
        status=PRESENT if total_seconds >= min_seconds else ABSENT,
        total_seconds=int(total_seconds),
        total_time=hhmmss(total_seconds),
        required_time=hhmmss(min_seconds),
    )


def _totals(db, match, group_key):
    pipeline = [
        {"$match": match},
        {"$group": {"_id": f"${group_key}", "total": {"$sum": "$watch_seconds"}}},
        {"$sort": {"_id": -1}},
    ]
    return [(doc["_id"], doc["total"]) for doc in db[WATCH].aggregate(pipeline)]


def of_user(db, user_id, min_seconds):
    return [
        row(total, min_seconds, date=day, user_id=user_id) for day, total in _totals(db, {"user_id": user_id}, "date")
    ]


def of_user_on(db, user_id, day, min_seconds):
    totals = dict(_totals(db, {"user_id": user_id, "date": day}, "date"))
    return row(totals.get(day, 0), min_seconds, date=day, user_id=user_id)


def on_day(db, day, min_seconds):
    rows = [row(total, min_seconds, date=day, user_id=user) for user, total in _totals(db, {"date": day}, "user_id")]
    return sorted(rows, key=lambda item: item["user_id"])


def days_between(since, until, today):
    """The days asked for, newest first: ``until`` defaults to today, ``since`` to DEFAULT_DAYS before it."""
    last = date.fromisoformat(until) if until else today
    first = date.fromisoformat(since) if since else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise ValidationError("since must not be after until", {"since": ["after until"]})
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise ValidationError(f"A range of at most {MAX_DAYS} days", {"since": [f"more than {MAX_DAYS} days"]})
    return [(last - timedelta(days=offset)).isoformat() for offset in range(count)]


def of_user_between(db, user_id, days, min_seconds):
    """Every day of ``days``, absent ones included (a day without watch time is absent)."""
    match = {"user_id": user_id, "date": {"$gte": min(days), "$lte": max(days)}}
    totals = dict(_totals(db, match, "date"))
    return [row(totals.get(day, 0), min_seconds, date=day, user_id=user_id) for day in days]
