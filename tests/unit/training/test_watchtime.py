"""The play/pause arithmetic, accumulation per day, and attendance from it."""

from datetime import UTC, datetime, timedelta

import mongomock
import pytest

from common.exceptions import ValidationError
from training import attendance, watchtime
from training.store import ensure_indexes

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
VIDEO = {"id": "video-1", "duration_seconds": 600}
HOUR = timedelta(hours=1)  # plays an hour before their pause: the time the pause reports has passed


@pytest.fixture
def db():
    database = mongomock.MongoClient().db
    ensure_indexes(database)
    return database


def test_hhmmss_both_ways():
    assert watchtime.hhmmss(0) == "00:00:00" and watchtime.hhmmss(3723) == "01:02:03"
    assert watchtime.hhmmss(100 * 3600) == "100:00:00"
    assert watchtime.seconds_of("01:02:03") == 3723


def test_session_length_rules():
    assert watchtime.session_length("10:00:00", "10:05:30", 330, 600) == 330
    assert watchtime.session_length("10:00:00", "10:05:30", None, 600) == 330
    assert watchtime.session_length("10:00:00", "10:05:30", 333, 600) == 333  # within the tolerance
    for start, end, reported, duration in (
        ("10:00:00", "09:59:59", None, 600),  # end before start
        ("10:00:00", "10:05:30", -1, 600),  # negative
        ("10:00:00", "10:05:30", 400, 600),  # disagrees with the times
        ("10:00:00", "10:20:00", 1200, 600),  # longer than the video
        ("00:00:00", "13:00:00", None, 0),  # absurd for a video of unknown length
    ):
        with pytest.raises(ValidationError):
            watchtime.session_length(start, end, reported, duration)


def test_play_pause_cycles_accumulate_per_day_and_video(db):
    watchtime.play(db, "u1", VIDEO, "c1", "14:30:00", now=NOON)
    with pytest.raises(ValidationError):  # 330 s watched 100 s after the play: implausible
        watchtime.pause(db, "u1", VIDEO, "14:35:30", 330, now=NOON + timedelta(seconds=100))
    record, added = watchtime.pause(db, "u1", VIDEO, "14:35:30", 330, now=NOON + timedelta(seconds=330))
    assert added == 330 and record["watch_seconds"] == 330 and record["end_time"] == "14:35:30"
    watchtime.play(db, "u1", VIDEO, "c1", "15:00:00", now=NOON + timedelta(seconds=1000))  # updates start_time
    record, _ = watchtime.pause(db, "u1", VIDEO, "15:01:00", 60, now=NOON + timedelta(seconds=1060))
    assert record["watch_seconds"] == 390 and record["sessions"] == 2 and record["start_time"] == "15:00:00"
    with pytest.raises(ValidationError):  # pause twice
        watchtime.pause(db, "u1", VIDEO, "15:02:00", 120, now=NOON + timedelta(seconds=1200))
    tomorrow = NOON + timedelta(days=1)
    with pytest.raises(ValidationError):  # yesterday's play does not open today's record
        watchtime.pause(db, "u1", VIDEO, "15:02:00", None, now=tomorrow)
    watchtime.play(db, "u1", VIDEO, "c1", "08:00:00", now=tomorrow)
    watchtime.pause(db, "u1", VIDEO, "08:00:10", 10, now=tomorrow + timedelta(seconds=10))
    days = watchtime.for_video(db, "u1", "video-1")
    assert [(day["date"], day["watch_time"]) for day in days] == [
        ("2026-03-03", "00:00:10"),
        ("2026-03-02", "00:06:30"),
    ]


def test_a_refused_pause_leaves_the_play_open_and_the_total_unchanged(db):
    watchtime.play(db, "u1", VIDEO, "c1", "10:00:00", now=NOON - HOUR)
    with pytest.raises(ValidationError):
        watchtime.pause(db, "u1", VIDEO, "10:01:00", 999, now=NOON)
    record, _ = watchtime.pause(db, "u1", VIDEO, "10:01:00", 60, now=NOON)
    assert record["watch_seconds"] == 60


def test_attendance_sums_every_video_of_the_day(db):
    other = {"id": "video-2", "duration_seconds": 3600}
    watchtime.play(db, "u1", VIDEO, "c1", "10:00:00", now=NOON - HOUR)
    watchtime.pause(db, "u1", VIDEO, "10:10:00", 600, now=NOON)
    watchtime.play(db, "u1", other, "c1", "11:00:00", now=NOON - HOUR)
    watchtime.pause(db, "u1", other, "11:20:00", 1200, now=NOON)
    watchtime.play(db, "u2", other, "c1", "11:00:00", now=NOON - HOUR)
    watchtime.pause(db, "u2", other, "11:05:00", 300, now=NOON)
    assert attendance.of_user_on(db, "u1", "2026-03-02", 1800)["status"] == "present"
    assert attendance.of_user_on(db, "u1", "2026-03-02", 1801)["status"] == "absent"
    assert attendance.of_user_on(db, "u1", "2026-03-01", 1800)["total_time"] == "00:00:00"
    day = attendance.on_day(db, "2026-03-02", 1800)
    assert [(row["user_id"], row["status"], row["total_time"]) for row in day] == [
        ("u1", "present", "00:30:00"),
        ("u2", "absent", "00:05:00"),
    ]
    assert attendance.of_user(db, "u2", 60)[0]["status"] == "present"
    with pytest.raises(ValidationError):
        attendance.parse_day("2026-02-30")


def test_attendance_ranges_default_to_30_days_and_are_bounded():
    today = datetime(2026, 3, 31).date()
    days = attendance.days_between(None, None, today)
    assert len(days) == 30 and days[0] == "2026-03-31" and days[-1] == "2026-03-02"
    assert attendance.days_between("2026-02-27", "2026-03-01", today) == ["2026-03-01", "2026-02-28", "2026-02-27"]
    assert len(attendance.days_between("2025-03-31", None, today)) == attendance.MAX_DAYS
    for since, until in (("2025-03-30", None), ("2026-03-02", "2026-03-01")):
        with pytest.raises(ValidationError):
            attendance.days_between(since, until, today)
