"""Events over HTTP on real RabbitMQ and PostgreSQL: capacity and waitlist under concurrency, attendance, reminders
(across restarts of the events service), calendars."""

from datetime import UTC, datetime, timedelta, timezone

import eventlet
import pytest
from icalendar import Calendar
from nameko.standalone.rpc import ClusterRpcProxy

from common import events
from events.service import EventsService
from tests.conftest import all_service_classes
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


def _about(event):
    """The metadata every published event of the events service carries about its event."""
    return {
        "event_id": event["id"],
        "title": event["title"],
        "starts_at": event["starts_at"],
        "ends_at": event["ends_at"],
        "organiser_id": event["organiser_id"],
    }


def _assert_about(published, event):
    assert {key: published["metadata"].get(key) for key in _about(event)} == _about(event), published


def _calendar(response):
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return calendar, {str(item["UID"]): item for item in calendar.walk("VEVENT")}


def _registrations(api, event_id, token):
    """The organiser's view, each list asked for with its filter: ``registered``, ``waitlist`` (each in order of
    arrival) and how many ``attended`` (the total of the attended filter)."""

    def page(**params):
        response = api.get(f"/events/{event_id}/registrations", token=token, params={"page_size": 100, **params})
        assert response.status_code == 200, response.text
        return response.json()["data"]

    registered, waitlist = page(status="registered")["items"], page(status="waitlisted")["items"]
    everyone = page()
    assert everyone["total"] == len(everyone["items"]) == len(registered) + len(waitlist)
    assert sorted(everyone["items"], key=lambda row: row["position"]) == everyone["items"]
    assert page(attended="false")["total"] == everyone["total"] - page(attended="true")["total"]
    return {"registered": registered, "waitlist": waitlist, "attended": page(attended="true")["total"]}


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
    for item in published:
        _assert_about(item, event)
    assert sorted(item["user_id"] for item in published) == sorted(user["id"] for user, _ in learners)

    listing = _registrations(api, event["id"], organiser_token)
    assert len(listing["registered"]) == 2
    assert [row["waitlist_position"] for row in listing["waitlist"]] == [1, 2, 3]
    positions = [row["position"] for row in listing["registered"] + listing["waitlist"]]
    assert positions == sorted(positions) and len(set(positions)) == 5
    # Paginated like every list: a page of two from the third on, the waitlist places counted across pages.
    page = api.get(f"/events/{event['id']}/registrations", token=organiser_token, params={"page": 2, "page_size": 2})
    assert {key: value for key, value in page.json()["data"].items() if key != "items"} == {
        "total": 5,
        "page": 2,
        "page_size": 2,
    }
    assert page.json()["data"]["items"] == listing["waitlist"][:2]
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
    listing = _registrations(api, event["id"], organiser_token)
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
    ).json()["data"]["items"][0]["start"]
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


def _until(tap, last_type, types, timeout=10, **last):
    """Every event of ``types`` received up to and including the first ``last_type`` matching ``last``, in order.

    Once a later publish has arrived, everything the broker queued before it has too (one queue, FIFO)."""
    found = []
    with eventlet.Timeout(timeout):
        while True:
            item = tap.received.get()
            fields = {**item, **(item.get("metadata") or {})}
            if item["event_type"] in types:
                found.append(item)
            if item["event_type"] == last_type and all(fields.get(k) == v for k, v in last.items()):
                return found


def test_attendance_check_in_publishes_event_attended_once_per_attendee(api, platform, event_tap):
    tap = event_tap("events")
    admin_user = create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    organiser, organiser_token = make_user(api, admin, "ines@example.com", "Ines", roles=["instructor"])
    _, other_organiser = make_user(api, admin, "omar@example.com", "Omar", roles=["instructor"])
    people = [make_user(api, admin, f"att{i}@example.com", f"Att {i}") for i in range(5)]
    (a, a_token), (b, b_token), (c, _), (d, _), (e, _) = people
    event = api.post("/events", token=organiser_token, json=_event_body(timedelta(days=2))).json()["data"]
    path = f"/events/{event['id']}/attendance"
    for _, token in people[:4]:
        assert api.post(f"/events/{event['id']}/register", token=token).status_code == 200
    # Capacity 2: a and b registered, c and d waitlisted; b leaves, c is promoted. e never registered.
    assert api.delete(f"/events/{event['id']}/register", token=b_token).json()["data"]["promoted"] == [c["id"]]

    # Not before the start.
    assert_error(api.post(path, token=organiser_token, json={"user_ids": [a["id"]]}), 409, "CONFLICT")
    # The organiser moves the event to have started half an hour ago.
    start = datetime.now(UTC) - timedelta(minutes=30)
    moved = api.put(
        f"/events/{event['id']}",
        token=organiser_token,
        json={"starts_at": iso(start), "ends_at": iso(start + timedelta(hours=2))},
    )
    assert moved.status_code == 200, moved.text
    event = moved.json()["data"]

    # Who may check in: the organiser or an admin, nobody else; bad bodies are 400, unknown events 404.
    assert_error(api.post(path, json={"user_ids": [a["id"]]}), 401, "UNAUTHORIZED")
    assert_error(api.post(path, token=a_token, json={"user_ids": [a["id"]]}), 403, "FORBIDDEN")
    assert_error(api.post(path, token=other_organiser, json={"user_ids": [a["id"]]}), 403, "FORBIDDEN")
    for body in ({}, {"user_ids": []}, {"user_ids": ["not-a-uuid"]}, {"user_ids": a["id"]}):
        assert_error(api.post(path, token=organiser_token, json=body), 400, "VALIDATION_ERROR")
    unknown = "/events/00000000-0000-4000-8000-000000000000/attendance"
    assert_error(api.post(unknown, token=organiser_token, json={"user_ids": [a["id"]]}), 404, "NOT_FOUND")
    # Only registered attendees: waitlisted (d), cancelled (b) or never registered (e) refuse the whole request.
    refused = api.post(path, token=organiser_token, json={"user_ids": [a["id"], b["id"], d["id"], e["id"]]})
    assert_error(refused, 409, "CONFLICT")
    assert refused.json()["error"]["details"]["user_ids"] == {
        b["id"]: "cancelled",
        d["id"]: "waitlisted",
        e["id"]: "not_registered",
    }

    # The organiser and an admin check the same two people in at the same time, twice each.
    def check_in(token):
        with ApiClient(api.base_url) as client:
            return client.post(path, token=token, json={"user_ids": [a["id"], c["id"]]})

    responses = list(eventlet.GreenPool(4).imap(check_in, [organiser_token, admin, organiser_token, admin]))
    assert all(response.status_code == 200 for response in responses), [r.text for r in responses]
    marked = [user_id for response in responses for user_id in response.json()["data"]["marked"]]
    assert sorted(marked) == sorted([a["id"], c["id"]])  # each marked by exactly one of the four requests
    assert all(response.json()["data"]["attended"] == 2 for response in responses)
    again = api.post(path, token=organiser_token, json={"user_ids": [c["id"], a["id"]]}).json()["data"]
    assert again == {"event_id": event["id"], "marked": [], "already_marked": [c["id"], a["id"]], "attended": 2}

    # On the bus: exactly one EVENT_ATTENDED per attendee, none for the refused requests. A later publish
    # (the organiser renames the event) closes the count: everything queued before it has arrived.
    assert api.put(f"/events/{event['id']}", token=organiser_token, json={"title": "Renamed"}).status_code == 200
    attended = _until(tap, events.EVENT_UPDATED, {events.EVENT_ATTENDED}, event_id=event["id"], title="Renamed")
    assert sorted(item["user_id"] for item in attended) == sorted([a["id"], c["id"]])
    for item in attended:
        _assert_about(item, event)
        assert item["metadata"]["registration_id"] and item["metadata"]["attended_at"].endswith("Z")
        assert item["metadata"]["marked_by"] in {organiser["id"], admin_user["id"]}

    # The organiser sees who attended; attendees see it on their own registration; attendees cannot leave now.
    listing = _registrations(api, event["id"], organiser_token)
    assert listing["attended"] == 2
    assert {row["user_id"]: row["attended_at"] is not None for row in listing["registered"]} == {
        a["id"]: True,
        c["id"]: True,
    }
    assert [row["attended_at"] for row in listing["waitlist"]] == [None]
    mine = api.get("/events/registrations/me", token=a_token).json()["data"]["items"]
    assert mine[0]["registration"]["attended_at"] is not None
    assert_error(api.delete(f"/events/{event['id']}/register", token=a_token), 409, "CONFLICT")
    # A cancelled event takes no attendance.
    assert api.delete(f"/events/{event['id']}", token=organiser_token).status_code == 200
    assert_error(api.post(path, token=admin, json={"user_ids": [a["id"]]}), 409, "CONFLICT")


@pytest.fixture
def platform_without_events(runner_factory, platform_config):
    """Every service but events, which the test starts, stops and starts again itself."""
    runner = runner_factory(platform_config, *[cls for cls in all_service_classes() if cls is not EventsService])
    runner.start()
    return platform_config


def _reminders_until(tap, *wanted, timeout=10):
    """Every EVENT_REMINDER received until each ``(event_id, user_id)`` in ``wanted`` has come, in order."""
    found, missing = [], set(wanted)
    with eventlet.Timeout(timeout):
        while missing:
            item = tap.received.get()
            if item["event_type"] == events.EVENT_REMINDER:
                found.append(item)
                missing.discard((item["metadata"]["event_id"], item["user_id"]))
    return found


def test_reminders_once_per_registrant_across_restarts_of_the_events_service(
    platform_without_events, container_factory, event_tap
):
    config = platform_without_events
    tap = event_tap("events")

    def start_events(interval):
        container = container_factory(EventsService, {**config, "EVENTS": {"REMINDER_INTERVAL_SECONDS": interval}})
        container.start()
        return container

    # The first instance's timer does not tick during the test: the reminders are still due when it stops.
    first = start_events(3600)
    create_admin(config)
    with ApiClient(f"http://{config['WEB_SERVER_ADDRESS']}") as api:
        admin = api.login(*ADMIN)["access_token"]
        _, organiser_token = make_user(api, admin, "ines@example.com", "Ines", roles=["instructor"])
        (r1, t1), (r2, t2), (r3, t3), (s1, s1_token), (s2, s2_token) = [
            make_user(api, admin, f"rem{i}@example.com", f"Rem {i}") for i in range(5)
        ]

        def create(hours):
            response = api.post("/events", token=organiser_token, json=_event_body(timedelta(hours=hours)))
            assert response.status_code == 201, response.text
            return response.json()["data"]

        # All start within the 24 h lead time, each later than the one before. A timer run sends in start order,
        # so a reminder for a later event arrives after any repeat, in that run or before, of an earlier one.
        created = [create(hours) for hours in (2, 3, 4, 5)]
        main, later, latest, last = created
        for token in (t1, t2, t3):  # capacity 2: r3 is waitlisted on the main event and gets no reminder for it
            assert api.post(f"/events/{main['id']}/register", token=token).status_code == 200
        first.stop()

        # Restarted: the new instance's timer sends the due reminders.
        second = start_events(0.2)
        sent = _reminders_until(tap, (main["id"], r1["id"]), (main["id"], r2["id"]))
        # A registration made now is reminded by a later run of the same timer.
        assert api.post(f"/events/{later['id']}/register", token=s1_token).status_code == 200
        sent += _reminders_until(tap, (later["id"], s1["id"]))
        second.kill()  # as a crash would: no graceful stop

        # Started again: its runs find every earlier reminder claimed in the database.
        start_events(0.2)
        assert api.post(f"/events/{latest['id']}/register", token=s2_token).status_code == 200
        sent += _reminders_until(tap, (latest["id"], s2["id"]))
        with ClusterRpcProxy(config, timeout=10) as rpc:
            assert rpc.events.run_reminders() == {"sent": 0}
        # One more run of the timer, after all of the above.
        assert api.post(f"/events/{last['id']}/register", token=t3).status_code == 200
        sent += _reminders_until(tap, (last["id"], r3["id"]))

    # The outbox relays at least once: an instance killed between publishing a reminder and deleting its
    # outbox row publishes it again on restart, with the same event_id, which consumers apply once. What must
    # hold is one reminder occurrence per registrant.
    occurrences = {item["event_id"]: item for item in sent}
    counted = sorted((item["metadata"]["event_id"], item["user_id"]) for item in occurrences.values())
    assert counted == sorted(
        [
            (main["id"], r1["id"]),
            (main["id"], r2["id"]),
            (later["id"], s1["id"]),
            (latest["id"], s2["id"]),
            (last["id"], r3["id"]),
        ]
    )
    by_id = {event["id"]: event for event in created}
    for item in sent:
        _assert_about(item, by_id[item["metadata"]["event_id"]])
        assert item["metadata"]["lead_minutes"] == 24 * 60 and item["metadata"]["registration_id"]


def test_an_update_that_changes_nothing_is_not_a_change(api, platform, event_tap):
    tap = event_tap("events")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, organiser_token = make_user(api, admin, "ines@example.com", "Ines", roles=["instructor"])
    learner, learner_token = make_user(api, admin, "reg@example.com", "Reg")
    body = _event_body(timedelta(days=4))
    event = api.post("/events", token=organiser_token, json=body).json()["data"]
    assert api.post(f"/events/{event['id']}/register", token=learner_token).status_code == 200

    # The whole form sent back, times in another offset: the same event.
    same = {key: body[key] for key in ("title", "description", "kind", "join_url", "timezone", "capacity")}
    starts = datetime.fromisoformat(body["starts_at"]).astimezone(timezone(timedelta(hours=2)))
    same.update(starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=2)).isoformat())
    unchanged = api.put(f"/events/{event['id']}", token=organiser_token, json=same)
    assert unchanged.status_code == 200, unchanged.text
    assert unchanged.json()["data"]["sequence"] == 0

    retitled = api.put(f"/events/{event['id']}", token=organiser_token, json={**same, "title": "Leading hybrid teams"})
    assert retitled.json()["data"]["sequence"] == 1
    # The first EVENT_UPDATED on the bus is the real change, naming only what changed and telling the registrant.
    updated = tap.wait_for(events.EVENT_UPDATED)
    assert updated["metadata"]["fields"] == ["title"] and updated["metadata"]["recipient_ids"] == [learner["id"]]
