"""Play/pause watch time, accumulated per learner, video and day.

A play opens a session (``start_time``); a pause closes the open session
(``end_time``, ``watchtime_seconds``) and adds its length to the day's total.
The pause is a conditional update on the open session it read, so a doubled
or concurrent pause is counted once; a pause with no open play, a negative or
absurd length, a length that disagrees with the two times, or one longer than the
time since the server saw the play is refused.
"""

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common.clock import as_utc, isoformat, utcnow
from common.exceptions import ValidationError
from training.contracts import VIDEO_TYPES
from training.store import WATCH, new_id

MAX_SESSION_SECONDS = 12 * 3600
# Slack for players reporting a few seconds more than the video's length or than end - start.
TOLERANCE_SECONDS = 5


def seconds_of(hhmmss):
    hours, minutes, seconds = (int(part) for part in hhmmss.split(":"))
    return hours * 3600 + minutes * 60 + seconds


def hhmmss(total_seconds):
    total_seconds = int(total_seconds)
    return f"{total_seconds // 3600:02d}:{total_seconds % 3600 // 60:02d}:{total_seconds % 60:02d}"


def day_of(moment):
    return moment.date().isoformat()


def play(db, user_id, lesson, course_id, start_time, now=None):
    now = now or utcnow()
    key = {"user_id": user_id, "video_id": lesson["id"], "date": day_of(now)}
    update = {
        "$set": {"start_time": start_time, "playing": True, "play_started_at": now, "updated_at": now},
        "$setOnInsert": {
            "_id": new_id(),
            "course_id": course_id,
            "watch_seconds": 0,
            "sessions": 0,
            "end_time": None,
            "created_at": now,
        },
    }
    for _ in range(2):  # two first plays at once: the loser of the upsert race updates the winner's record
        try:
            return db[WATCH].find_one_and_update(key, update, upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:
            continue
    raise ValidationError("Could not record the play; try again", {})


def session_length(start_time, end_time, reported, video_seconds):
    """The seconds a pause adds, or a ValidationError saying why the pause is refused."""
    computed = seconds_of(end_time) - seconds_of(start_time)
    if computed < 0:
        raise ValidationError("end_time is before the play's start_time", {"end_time": ["before start_time"]})
    length = computed if reported is None else reported
    if length < 0:
        raise ValidationError("Watch time cannot be negative", {"watchtime_seconds": ["negative"]})
    if reported is not None and abs(reported - computed) > TOLERANCE_SECONDS:
        raise ValidationError(
            "watchtime_seconds does not match end_time - start_time",
            {"watchtime_seconds": [f"expected about {computed}"]},
        )
    limit = MAX_SESSION_SECONDS if not video_seconds else video_seconds + TOLERANCE_SECONDS
    if length > limit:
        raise ValidationError(
            "The watch time is longer than the video allows", {"watchtime_seconds": [f"at most {limit}"]}
        )
    return length


def check_plausible(length, play_started_at, now):
    """A session cannot have lasted longer than the time since the server saw its play (players' clocks and
    their ``end_time`` are the client's word; this is not)."""
    elapsed = (as_utc(now) - as_utc(play_started_at)).total_seconds()
    if length > elapsed + TOLERANCE_SECONDS:
        raise ValidationError(
            "More watch time than time since the play",
            {"watchtime_seconds": [f"at most {int(elapsed) + TOLERANCE_SECONDS} since the play"]},
        )


def pause(db, user_id, lesson, end_time, reported, now=None):
    now = now or utcnow()
    key = {"user_id": user_id, "video_id": lesson["id"], "date": day_of(now)}
    record = db[WATCH].find_one(key)
    if record is None or not record.get("playing"):
        raise ValidationError("Pause without a play: send start_time first", {"end_time": ["no open play"]})
    length = session_length(record["start_time"], end_time, reported, lesson.get("duration_seconds") or 0)
    check_plausible(length, record["play_started_at"], now)
    closed = db[WATCH].find_one_and_update(
        dict(key, playing=True, play_started_at=record["play_started_at"]),
        {
            "$set": {"playing": False, "end_time": end_time, "updated_at": now},
            "$inc": {"watch_seconds": length, "sessions": 1},
        },
        return_document=ReturnDocument.AFTER,
    )
    if closed is None:
        raise ValidationError("Pause without a play: this session was already closed", {"end_time": ["no open play"]})
    return closed, length


def view(record):
    return {
        "id": record["_id"],
        "video_id": record["video_id"],
        "course_id": record.get("course_id"),
        "date": record["date"],
        "start_time": record.get("start_time"),
        "end_time": record.get("end_time"),
        "playing": bool(record.get("playing")),
        "sessions": record.get("sessions", 0),
        "watch_seconds": record.get("watch_seconds", 0),
        "watch_time": hhmmss(record.get("watch_seconds", 0)),
        "updated_at": isoformat(record.get("updated_at")),
    }


def total_seconds(db, user_id, video_id):
    """Seconds of one video a learner watched, every day together."""
    rows = db[WATCH].aggregate(
        [
            {"$match": {"user_id": user_id, "video_id": video_id}},
            {"$group": {"_id": None, "s": {"$sum": "$watch_seconds"}}},
        ]
    )
    return next((row["s"] for row in rows), 0)


def watched_enough(db, user_id, lesson, share_percent):
    """A video with a known duration counts as watched at ``share_percent`` of it; one without, at once."""
    duration = lesson.get("duration_seconds") or 0
    if lesson.get("type") not in VIDEO_TYPES or not duration:
        return True
    return total_seconds(db, user_id, lesson["id"]) >= duration * share_percent / 100.0


def for_video(db, user_id, video_id):
    return [view(record) for record in db[WATCH].find({"user_id": user_id, "video_id": video_id}).sort("date", -1)]
