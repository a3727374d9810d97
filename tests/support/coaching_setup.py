"""Helpers shared by the coaching and events end-to-end tests."""

import time
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


def started_session(api, admin, learner_token, email="sam@example.com", name="Sam Soon", lead_seconds=3):
    """``(coach, coach_token, session)``: a session booked ``lead_seconds`` ahead and, on return, started.

    Over HTTP only: a coach with no minimum notice opens extra hours that begin then (wall times take seconds),
    in a fixed-offset zone where it is about noon, so the hours never cross a local midnight.
    """
    coach, token = make_user(api, admin, email, name, roles=["coach"])
    start = (datetime.now(UTC) + timedelta(seconds=lead_seconds)).replace(microsecond=0)
    hours_ahead = 12 - start.hour  # Etc/GMT-k is UTC+k
    zone = f"Etc/GMT{'-' if hours_ahead >= 0 else '+'}{abs(hours_ahead)}"
    profile = {"timezone": zone, "session_minutes": 15, "min_notice_minutes": 0}
    assert api.put("/coaching/coaches/me", token=token, json=profile).status_code == 200
    local = start.astimezone(ZoneInfo(zone))
    extra = {"date": local.date().isoformat(), "kind": "extra", "start": local.strftime("%H:%M:%S")}
    extra["end"] = (local + timedelta(minutes=30)).strftime("%H:%M:%S")
    hours = api.put(f"/coaching/coaches/{coach['id']}/availability", token=token, json={"exceptions": [extra]})
    assert hours.status_code == 200, hours.text
    booked = api.post("/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": iso(start)})
    assert booked.status_code == 201, booked.text
    session = booked.json()["data"]
    early = api.post(f"/coaching/sessions/{session['id']}/complete", token=token)
    assert early.status_code == 409, early.text  # not started yet
    time.sleep(max((start - datetime.now(UTC)).total_seconds(), 0) + 0.1)
    return coach, token, session
