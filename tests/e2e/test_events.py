"""Events over HTTP on real RabbitMQ and PostgreSQL: capacity and waitlist under concurrency, reminders, calendars."""

from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from icalendar import Calendar
from nameko.standalone.rpc import ClusterRpcProxy

from common import events
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.coaching_setup import collect, iso, make_coach


@pytest.fixture
def platform_config(platform_config):
    # The reminder timer ticks often here so the timer path runs within the test.
    return {**platform_config, "EVENTS": {"REMINDER_INTERVAL_SECONDS": 0.2}}


def _event_body(starts_in, **extra):
    start = datetime.now(UTC) + starts_in
    return {
        "title": "Leading remote teams",
        "description": "A live workshop",
        "kind": "online",
        "join_url": "https://meet.example.com/abc",
        "timezone": "Europe/Berlin",
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=2)),
        "capacity": 2,
        **extra,
    }


def _calendar(response):
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return calendar, {str(item["UID"]): item for item in calendar.walk("VEVENT")}


def test_capacity_two_five_concurrent_registrations_waitlist_and_calendars(api, platform, event_tap):
    tap = event_tap("events")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    organiser, organiser_token = make_user(api, admin, "ines@example.com", "Ines", roles=["instructor"])
    learners = [make_user(api, admin, f"reg{i}@example.com", f"Reg {i}") for i in range(5)]
    assert_error(api.post("/events", token=learners[0][1], json=_event_body(timedelta(days=10))), 403, "FORBIDDEN")
    assert_error(
        api.post("/events", token=organiser_token, json=_event_body(timedelta(days=10), join_url=None)),
        400,
        "VALIDATION_ERROR",
    )
    created = api.post("/events", token=organiser_token, json=_event_body(timedelta(days=10)))
    assert created.status_code == 201, created.text
    event = created.json()["data"]
    assert event["sequence"] == 0 and event["join_url"] == "https://meet.example.com/abc"
    assert tap.wait_for(events.EVENT_CREATED, event_id=event["id"])

    def register(token):
        with ApiClient(api.base_url) as client:
            return client.post(f"/events/{event['id']}/register", token=token)

    responses = list(eventlet.GreenPool(5).imap(register, [token for _, token in learners]))
    assert all(response.status_code == 200 for response in responses), [r.text for r in responses]
    statuses = sorted(response.json()["data"]["status"] for response in responses)
    assert statuses == ["registered"] * 2 + ["waitlisted"] * 3
    published = collect(tap, {events.EVENT_REGISTERED, events.EVENT_WAITLISTED}, 5)
    assert (
        sorted(item["event_type"] for item in published)
        == [events.EVENT_REGISTERED] * 2 + [events.EVENT_WAITLISTED] * 3
    )

    listing = api.get(f"/events/{event['id']}/registrations", token=organiser_token).json()["data"]
    assert len(listing["registered"]) == 2
    assert [row["waitlist_position"] for row in listing["waitlist"]] == [1, 2, 3]
    positions = [row["position"] for row in listing["registered"] + listing["waitlist"]]
    assert positions == sorted(positions) and len(set(positions)) == 5
    assert_error(api.get(f"/events/{event['id']}/registrations", token=learners[0][1]), 403, "FORBIDDEN")

    tokens = {user["id"]: token for user, token in learners}
    registered_ids = [row["user_id"] for row in listing["registered"]]
    waitlisted_ids = [row["user_id"] for row in listing["waitlist"]]
    # The join URL is for registered attendees only.
    assert api.get(f"/events/{event['id']}", token=tokens[registered_ids[0]]).json()["data"]["join_url"]
    assert api.get(f"/events/{event['id']}", token=tokens[waitlisted_ids[0]]).json()["data"]["join_url"] is None
    assert api.get(f"/events/{event['id']}").json()["data"]["join_url"] is None
    mine = api.get("/events/registrations/me", token=tokens[waitlisted_ids[1]]).json()["data"]["items"]
    assert mine[0]["registration"]["status"] == "waitlisted" and mine[0]["registration"]["waitlist_position"] == 2

    # A registered attendee cancels: the first on the waitlist is promoted.
    left = api.delete(f"/events/{event['id']}/register", token=tokens[registered_ids[0]])
    assert left.status_code == 200, left.text
    assert left.json()["data"]["promoted"] == [waitlisted_ids[0]]
    assert tap.wait_for(events.EVENT_PROMOTED, event_id=event["id"])["user_id"] == waitlisted_ids[0]
    listing = api.get(f"/events/{event['id']}/registrations", token=organiser_token).json()["data"]
    assert sorted(row["user_id"] for row in listing["registered"]) == sorted([registered_ids[1], waitlisted_ids[0]])
    assert [row["user_id"] for row in listing["waitlist"]] == waitlisted_ids[1:]
    assert api.get(f"/events/{event['id']}").json()["data"]["registered"] == 2

    # The event's .ics: one VEVENT with a stable UID, its zone, SEQUENCE growing with each change.
    calendar, items = _calendar(api.get(f"/events/{event['id']}/calendar.ics"))
    uid = f"event-{event['id']}@lnd.platform"
    assert list(items) == [uid]
    assert int(items[uid]["SEQUENCE"]) == 0
    assert str(items[uid].decoded("DTSTART").tzinfo) == "Europe/Berlin"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert "URL" not in items[uid]  # anonymous: no join URL
    updated = api.put(f"/events/{event['id']}", token=organiser_token, json={"title": "Leading hybrid teams"})
    assert updated.status_code == 200 and updated.json()["data"]["sequence"] == 1
    assert_error(
        api.put(f"/events/{event['id']}", token=tokens[registered_ids[1]], json={"title": "x"}), 403, "FORBIDDEN"
    )
    _, items = _calendar(api.get(f"/events/{event['id']}/calendar.ics"))
    assert int(items[uid]["SEQUENCE"]) == 1 and str(items[uid]["SUMMARY"]) == "Leading hybrid teams"

    # The promoted learner's personal feed: their event and their coaching session, without a login.
    promoted_token = tokens[waitlisted_ids[0]]
    coach, _ = make_coach(api, admin)
    now = datetime.now(UTC)
    slot = api.get(
        f"/coaching/coaches/{coach['id']}/slots",
        token=promoted_token,
        params={"from": iso(now + timedelta(days=2)), "to": iso(now + timedelta(days=4))},
    ).json()["data"]["slots"][0]["start"]
    session = api.post("/coaching/sessions", token=promoted_token, json={"coach_id": coach["id"], "start": slot})
    assert session.status_code == 201, session.text
    session_uid = f"session-{session.json()['data']['id']}@lnd.platform"
    feed = api.post("/events/calendar/token", token=promoted_token)
    assert feed.status_code == 201, feed.text
    feed_path = feed.json()["data"]["path"]
    _, items = _calendar(api.get(feed_path))
    assert set(items) == {uid, session_uid}
    assert str(items[uid]["STATUS"]) == "CONFIRMED" and str(items[uid]["URL"]) == "https://meet.example.com/abc"
    sequence_before = int(items[uid]["SEQUENCE"])
    # Someone else's feed does not show this learner's items.
    other_feed = api.post("/events/calendar/token", token=organiser_token).json()["data"]["path"]
    assert set(_calendar(api.get(other_feed))[1]) == {uid}

    # The attendee who left sees the item cancelled in their own feed, above the event's own SEQUENCE.
    leaver_feed = api.post("/events/calendar/token", token=tokens[registered_ids[0]]).json()["data"]["path"]
    _, leaver_items = _calendar(api.get(leaver_feed))
    assert str(leaver_items[uid]["STATUS"]) == "CANCELLED" and int(leaver_items[uid]["SEQUENCE"]) > 1

    # The organiser cancels: the item stays, marked cancelled, with a higher SEQUENCE.
    assert api.delete(f"/events/{event['id']}", token=organiser_token).status_code == 200
    notice = tap.wait_for(events.EVENT_CANCELLED, event_id=event["id"])
    assert sorted(notice["metadata"]["recipient_ids"]) == sorted([registered_ids[1], *waitlisted_ids])
    _, items = _calendar(api.get(feed_path))
    assert str(items[uid]["STATUS"]) == "CANCELLED" and int(items[uid]["SEQUENCE"]) > sequence_before
    assert_error(api.post(f"/events/{event['id']}/register", token=tokens[registered_ids[0]]), 409, "CONFLICT")

    # Rotating replaces the secret; revoking ends it.
    rotated = api.post("/events/calendar/token", token=promoted_token).json()["data"]["path"]
    assert_error(api.get(feed_path), 404, "NOT_FOUND")
    assert api.get(rotated).status_code == 200
    assert api.delete("/events/calendar/token", token=promoted_token).status_code == 200
    assert_error(api.get(rotated), 404, "NOT_FOUND")


def test_reminder_timer_sends_once_per_registrant(api, platform, event_tap):
    tap = event_tap("events")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, organiser_token = make_user(api, admin, "ines@example.com", "Ines", roles=["instructor"])
    learner, learner_token = make_user(api, admin, "rita@example.com", "Rita")
    soon = api.post("/events", token=organiser_token, json=_event_body(timedelta(hours=2))).json()["data"]
    later = api.post("/events", token=organiser_token, json=_event_body(timedelta(days=5))).json()["data"]
    for event in (soon, later):
        assert api.post(f"/events/{event['id']}/register", token=learner_token).status_code == 200
    # The timer (every 0.2 s here) finds the registration inside the 24 h lead time and sends one reminder.
    reminder = tap.wait_for(events.EVENT_REMINDER, event_id=soon["id"])
    assert reminder["user_id"] == learner["id"]
    # Claimed in the database: another run (another replica, or after a restart) has nothing left to send.
    with ClusterRpcProxy(platform, timeout=10) as rpc:
        assert rpc.events.run_reminders() == {"sent": 0}
    mine = api.get("/events/registrations/me", token=learner_token).json()["data"]["items"]
    reminded = {item["event"]["id"]: item["registration"]["reminded_at"] for item in mine}
    assert reminded[soon["id"]] is not None and reminded[later["id"]] is None


def test_listing_filters_and_past_events(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, organiser_token = make_user(api, admin, "ines@example.com", "Ines", roles=["coach"])
    online = api.post("/events", token=organiser_token, json=_event_body(timedelta(days=3))).json()["data"]
    in_person = api.post(
        "/events",
        token=organiser_token,
        json=_event_body(timedelta(days=4), kind="in_person", join_url=None, location="Room 4", title="Pairing day"),
    ).json()["data"]
    upcoming = api.get("/events").json()["data"]
    assert [item["id"] for item in upcoming["items"]] == [online["id"], in_person["id"]]
    assert [item["id"] for item in api.get("/events", params={"kind": "in_person"}).json()["data"]["items"]] == [
        in_person["id"]
    ]
    assert api.get("/events", params={"q": "pairing"}).json()["data"]["total"] == 1
    assert api.get("/events", params={"when": "past"}).json()["data"]["total"] == 0
    assert api.get("/events", params={"page_size": 1, "page": 2}).json()["data"]["items"][0]["id"] == in_person["id"]
    # A registration deadline after the start is refused.
    late = _event_body(timedelta(days=3), registration_deadline=iso(datetime.now(UTC) + timedelta(days=9)))
    assert_error(api.post("/events", token=organiser_token, json=late), 400, "VALIDATION_ERROR")
