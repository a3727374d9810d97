"""Helpers shared by the coaching and events end-to-end tests."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.test_users import make_user

COACH_ZONE = "America/New_York"
EVERY_DAY_9_TO_11 = [{"weekday": day, "start": "09:00", "end": "11:00"} for day in range(7)]


def next_offset_change(zone_name, after_days=3):
    """The first local date, at least ``after_days`` from today, whose UTC offset differs from the day before."""
    zone = ZoneInfo(zone_name)
    day = datetime.now(UTC).date() + timedelta(days=after_days)
    for _ in range(400):
        noon = datetime.combine(day, datetime.min.time().replace(hour=12), tzinfo=zone)
        if noon.utcoffset() != (noon - timedelta(days=1)).utcoffset():
            return day
        day += timedelta(days=1)
    raise AssertionError(f"{zone_name} has no offset change within a year")


def make_coach(api, admin, email="cora@example.com", name="Cora Coach", zone=COACH_ZONE):
    coach, token = make_user(api, admin, email, name, roles=["coach"])
    profile = api.put(
        "/coaching/coaches/me",
        token=token,
        json={
            "timezone": zone,
            "bio": "Leadership coach",
            "expertise": ["leadership", "careers"],
            "languages": ["en", "es"],
            "session_minutes": 60,
            "min_notice_minutes": 60,
            "price_cents": 9000,
            "currency": "USD",
        },
    )
    assert profile.status_code == 200, profile.text
    availability = api.put(
        f"/coaching/coaches/{coach['id']}/availability", token=token, json={"weekly": EVERY_DAY_9_TO_11}
    )
    assert availability.status_code == 200, availability.text
    return coach, token


def iso(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def collect(tap, types, count, timeout=10):
    """The next ``count`` events whose type is in ``types`` (others are dropped), in arrival order."""
    import eventlet

    found = []
    with eventlet.Timeout(timeout):
        while len(found) < count:
            event = tap.received.get()
            if event["event_type"] in types:
                found.append(event)
    return found
