"""Slot computation: local wall clocks across daylight-saving changes, exceptions, buffers, notice."""

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

from coaching.contracts import DAY_OFF, EXTRA_HOURS
from coaching.slots import bookable_slots, candidate_slots, overlaps


def coach(zone="America/New_York", minutes=60, buffer=0, notice=0):
    return SimpleNamespace(timezone=zone, session_minutes=minutes, buffer_minutes=buffer, min_notice_minutes=notice)


def window(weekday, start, end):
    return SimpleNamespace(weekday=weekday, start_time=start, end_time=end)


def exception(day, kind, start=None, end=None):
    return SimpleNamespace(day=day, kind=kind, start_time=start, end_time=end)


EVERY_DAY_9_TO_10 = [window(day, time(9), time(10)) for day in range(7)]
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def test_spring_forward_keeps_local_nine_oclock():
    # New York moved from UTC-5 to UTC-4 on Sunday 2027-03-14.
    slots = candidate_slots(
        coach(), EVERY_DAY_9_TO_10, [], datetime(2027, 3, 13, tzinfo=UTC), datetime(2027, 3, 16, tzinfo=UTC)
    )
    assert slots == [
        datetime(2027, 3, 13, 14, tzinfo=UTC),
        datetime(2027, 3, 14, 13, tzinfo=UTC),
        datetime(2027, 3, 15, 13, tzinfo=UTC),
    ]


def test_fall_back_keeps_local_nine_oclock():
    # Berlin moved from UTC+2 to UTC+1 on Sunday 2026-10-25.
    slots = candidate_slots(
        coach("Europe/Berlin"),
        EVERY_DAY_9_TO_10,
        [],
        datetime(2026, 10, 24, tzinfo=UTC),
        datetime(2026, 10, 26, tzinfo=UTC),
    )
    assert slots == [datetime(2026, 10, 24, 7, tzinfo=UTC), datetime(2026, 10, 25, 8, tzinfo=UTC)]


def test_a_skipped_wall_time_yields_no_slot_and_an_ambiguous_one_its_first_occurrence():
    night = [window(6, time(2), time(3)), window(6, time(1), time(2))]
    spring = candidate_slots(coach(), night, [], datetime(2027, 3, 14, tzinfo=UTC), datetime(2027, 3, 15, tzinfo=UTC))
    # 01:00 EST to the jump (02:00 EST = 03:00 EDT) is an hour; 02:00-03:00 does not exist that night.
    assert spring == [datetime(2027, 3, 14, 6, tzinfo=UTC)]
    autumn = candidate_slots(
        coach(), [window(6, time(1), time(2))], [], datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    )
    # 01:00 EDT to 02:00 EST is two real hours (01:00-02:00 happens twice): two slots.
    assert autumn == [datetime(2026, 11, 1, 5, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)]


def test_days_off_and_extra_hours():
    exceptions = [
        exception(date(2027, 3, 15), DAY_OFF),
        exception(date(2027, 3, 16), EXTRA_HOURS, time(14), time(15, 30)),
    ]
    slots = candidate_slots(
        coach(), EVERY_DAY_9_TO_10, exceptions, datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 3, 17, tzinfo=UTC)
    )
    assert slots == [datetime(2027, 3, 16, 13, tzinfo=UTC), datetime(2027, 3, 16, 18, tzinfo=UTC)]


def test_buffers_space_slots_and_keep_them_clear_of_sessions():
    profile = coach("UTC", minutes=30, buffer=15)
    day = [window(0, time(9), time(11))]  # a Monday
    start, end = datetime(2027, 3, 15, tzinfo=UTC), datetime(2027, 3, 16, tzinfo=UTC)
    assert [s.strftime("%H:%M") for s in candidate_slots(profile, day, [], start, end)] == ["09:00", "09:45", "10:30"]
    busy = [(datetime(2027, 3, 15, 10, 0, tzinfo=UTC), datetime(2027, 3, 15, 10, 20, tzinfo=UTC))]
    free = bookable_slots(profile, day, [], busy, start, end, LONG_AGO)
    assert [s.strftime("%H:%M") for s in free] == ["09:00"]  # 09:45 ends 10:15 (+15 buffer), 10:30 starts in buffer


def test_minimum_notice():
    profile = coach("UTC", notice=120)
    start = datetime(2027, 3, 15, tzinfo=UTC)
    now = datetime(2027, 3, 15, 8, 30, tzinfo=UTC)
    free = bookable_slots(profile, [window(0, time(9), time(12))], [], [], start, start + timedelta(days=1), now)
    assert [s.strftime("%H:%M") for s in free] == ["11:00"]


def test_overlaps():
    a = datetime(2027, 1, 1, 10, tzinfo=UTC)
    busy = [(a, a + timedelta(hours=1))]
    assert overlaps(a + timedelta(minutes=30), a + timedelta(minutes=90), busy, timedelta(0))
    assert not overlaps(a + timedelta(hours=1), a + timedelta(hours=2), busy, timedelta(0))
    assert overlaps(a + timedelta(hours=1), a + timedelta(hours=2), busy, timedelta(minutes=5))
