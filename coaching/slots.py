"""Bookable slots: weekly windows and dated exceptions in the coach's zone, turned into UTC instants.

Times are computed on local wall clocks with zoneinfo, so a 09:00 window stays
09:00 local across a daylight-saving change (its UTC instant moves). Within a
window slots step in real (UTC) time. A wall time that does not exist (skipped
by a spring-forward) means the instant the clocks jump, so a 02:00-03:00 window
is empty that night; an ambiguous one (autumn) takes its first occurrence, so a
window over the repeated hour lasts an hour longer in real time.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from coaching.contracts import DAY_OFF, EXTRA_HOURS


def _local_instant(day, wall, zone):
    # fold=0: the earlier offset, which for a skipped wall time is the instant of the jump.
    return datetime.combine(day, wall).replace(tzinfo=zone, fold=0).astimezone(UTC)


def windows_on(day, weekly, exceptions):
    """[(start_time, end_time)] open on a local date."""
    todays = [item for item in exceptions if item.day == day]
    if any(item.kind == DAY_OFF for item in todays):
        return []
    windows = [(w.start_time, w.end_time) for w in weekly if w.weekday == day.weekday()]
    windows += [(e.start_time, e.end_time) for e in todays if e.kind == EXTRA_HOURS]
    return sorted(windows)


def candidate_slots(profile, weekly, exceptions, start, end):
    """Every slot of the coach's length inside its windows and within [start, end), in UTC, sorted."""
    zone = ZoneInfo(profile.timezone)
    length = timedelta(minutes=profile.session_minutes)
    step = length + timedelta(minutes=profile.buffer_minutes)
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    slots = set()
    day = first_day
    while day <= last_day:
        for wall_start, wall_end in windows_on(day, weekly, exceptions):
            window_start = _local_instant(day, wall_start, zone)
            window_end = _local_instant(day, wall_end, zone)
            moment = window_start
            while moment + length <= window_end:
                if start <= moment and moment + length <= end:
                    slots.add(moment)
                moment += step
        day += timedelta(days=1)
    return sorted(slots)


def overlaps(start, end, busy, buffer):
    """Whether [start, end) comes within ``buffer`` of any busy (start, end)."""
    return any(start < b_end + buffer and b_start < end + buffer for b_start, b_end in busy)


def bookable_slots(profile, weekly, exceptions, busy, start, end, now):
    """The free slots in [start, end): past the minimum notice and clear of busy periods plus buffers."""
    earliest = now + timedelta(minutes=profile.min_notice_minutes)
    length = timedelta(minutes=profile.session_minutes)
    buffer = timedelta(minutes=profile.buffer_minutes)
    return [
        moment
        for moment in candidate_slots(profile, weekly, exceptions, start, end)
        if moment >= earliest and not overlaps(moment, moment + length, busy, buffer)
    ]
