"""Coaching over HTTP, past "the route exists": where a session takes place and who sees it (the calendar feed
included), rescheduling inside the notice window, completing only once started, every list paginated alike."""

from datetime import UTC, datetime, timedelta, timezone

from icalendar import Calendar

from common import events
from gateway.routes import ROUTES
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_notifications import wait_until
from tests.e2e.test_users import make_user
from tests.support.coaching_setup import iso, make_coach, started_session

TEMPLATE = "https://meet.example.org/lnd-{session_id}"


def _data(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def _slots(api, token, coach_id, days=(2, 5)):
    now = datetime.now(UTC)
    window = {"from": iso(now + timedelta(days=days[0])), "to": iso(now + timedelta(days=days[1]))}
    return [
        slot["start"]
        for slot in _data(api.get(f"/coaching/coaches/{coach_id}/slots", token=token, params=window))["items"]
    ]


def _feed(api, token):
    """The caller's personal calendar feed: {UID: VEVENT} and its raw text."""
    path = _data(api.post("/events/calendar/token", token=token), 201)["path"]
    response = api.get(path)
    assert response.status_code == 200, response.text
    return {str(item["UID"]): item for item in Calendar.from_ical(response.content).walk("VEVENT")}, response.text


def test_a_session_link_is_for_its_two_people_and_their_calendars(api, platform, event_tap):
    tap = event_tap("coaching")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    # The configured template is checked when it is set: it must make an http(s) link from {session_id} alone.
    setting = "/admin/settings/coaching.meeting_url_template"
    assert_error(
        api.put(setting, token=admin, json={"value": "https://meet.example.org/{user}"}), 400, "VALIDATION_ERROR"
    )
    assert_error(
        api.put(setting, token=admin, json={"value": "meet.example.org/{session_id}"}), 400, "VALIDATION_ERROR"
    )
    assert api.put(setting, token=admin, json={"value": TEMPLATE}).status_code == 200
    coach, coach_token = make_coach(api, admin)
    _, other_coach_token = make_coach(api, admin, "carl@example.com", "Carl Coach")
    learner, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    _, other_token = make_user(api, admin, "otto@example.com", "Otto")
    slots = _slots(api, learner_token, coach["id"])

    # A coach without a room of their own: the session's link comes from the template.
    session = _data(
        api.post("/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": slots[0]}), 201
    )
    link = TEMPLATE.format(session_id=session["id"])
    assert (session["kind"], session["meeting_url"], session["location"]) == ("online", link, None)
    assert _data(api.get(f"/coaching/sessions/{session['id']}", token=coach_token))["meeting_url"] == link
    assert _data(api.get(f"/coaching/sessions/{session['id']}", token=admin))["meeting_url"] == link
    # Nobody else learns it: not another learner, not another coach, not anonymous.
    assert_error(api.get(f"/coaching/sessions/{session['id']}", token=other_token), 404, "NOT_FOUND")
    assert_error(api.get(f"/coaching/sessions/{session['id']}", token=other_coach_token), 404, "NOT_FOUND")
    assert_error(api.get(f"/coaching/sessions/{session['id']}"), 401, "UNAUTHORIZED")
    assert _data(api.get("/coaching/sessions", token=other_token))["total"] == 0

    # The coach gives their own room: later bookings use it; learners never see it on the coach's public profile.
    room = "https://video.example.com/cora"
    profile = _data(api.put("/coaching/coaches/me", token=coach_token, json={"meeting_url": room}))
    assert (profile["session_kind"], profile["meeting_url"]) == ("online", room)
    public = _data(api.get(f"/coaching/coaches/{coach['id']}", token=other_token))
    assert (public["session_kind"], public["meeting_url"], public["location"]) == ("online", None, None)
    assert _data(api.get("/coaching/coaches", token=other_token))["items"][0]["meeting_url"] is None
    assert _data(api.get(f"/coaching/coaches/{coach['id']}", token=admin))["meeting_url"] == room
    second = _data(
        api.post("/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": slots[1]}), 201
    )
    assert second["meeting_url"] == room
    assert (
        session["meeting_url"]
        == _data(api.get(f"/coaching/sessions/{session['id']}", token=learner_token))["meeting_url"]
    )
    # An in-person coach must say where.
    assert_error(
        api.put("/coaching/coaches/me", token=coach_token, json={"session_kind": "in_person"}), 400, "VALIDATION_ERROR"
    )

    # The coach moves one session to a room in person: a change with its event and a higher calendar SEQUENCE.
    place = f"/coaching/sessions/{second['id']}/place"
    assert_error(api.put(place, token=coach_token, json={"kind": "in_person"}), 400, "VALIDATION_ERROR")
    assert_error(
        api.put(place, token=coach_token, json={"kind": "online", "location": "Room 4"}), 400, "VALIDATION_ERROR"
    )
    assert_error(api.put(place, token=learner_token, json={"kind": "online"}), 403, "FORBIDDEN")
    assert_error(api.put(place, token=other_coach_token, json={"kind": "online"}), 404, "NOT_FOUND")
    moved = _data(api.put(place, token=coach_token, json={"kind": "in_person", "location": "Room 4, Main St 1"}))
    assert (moved["kind"], moved["meeting_url"], moved["location"]) == ("in_person", None, "Room 4, Main St 1")
    assert moved["sequence"] == second["sequence"] + 1
    changed = tap.wait_for(events.SESSION_PLACE_CHANGED, session_id=second["id"])
    assert changed["user_id"] == learner["id"]
    assert changed["metadata"]["kind"] == "in_person" and changed["metadata"]["sequence"] == moved["sequence"]
    assert room not in str(changed) and "Room 4" not in str(changed)  # the bus is read by every consumer
    # The learner is told in the app (the place itself stays behind the session's own read).
    told = wait_until(
        lambda: [
            item
            for item in _data(api.get("/notifications", token=learner_token))["items"]
            if item["event_type"] == events.SESSION_PLACE_CHANGED
        ]
    )
    assert told[0]["subject"] == "Coaching session: new place" and "Room 4" not in told[0]["text"]

    # The learner's calendar feed: the link as URL and LOCATION, the room as LOCATION.
    items, _ = _feed(api, learner_token)
    online, in_person = items[f"session-{session['id']}@lnd.platform"], items[f"session-{second['id']}@lnd.platform"]
    assert str(online["URL"]) == link and str(online["LOCATION"]) == link
    assert str(in_person["LOCATION"]) == "Room 4, Main St 1" and "URL" not in in_person
    assert int(in_person["SEQUENCE"]) == moved["sequence"]
    coach_items, _ = _feed(api, coach_token)
    assert str(coach_items[f"session-{session['id']}@lnd.platform"]["URL"]) == link
    # Another learner's feed holds none of it.
    other_items, other_text = _feed(api, other_token)
    assert other_items == {} and link not in other_text and "Room 4" not in other_text


def test_rescheduling_keeps_the_cancellation_notice_window(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    coach, coach_token = make_coach(api, admin)
    _, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    slots = _slots(api, learner_token, coach["id"], days=(1, 6))
    session = _data(
        api.post("/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": slots[0]}), 201
    )
    hours_away = (datetime.fromisoformat(slots[0].replace("Z", "+00:00")) - datetime.now(UTC)).total_seconds() / 3600
    # The window reaches past the session: it can neither be moved out of the window nor then cancelled.
    window = int(hours_away) + 2
    assert api.put("/admin/settings/coaching.cancellation_window_hours", token=admin, json={"value": window}).ok
    for token in (learner_token, coach_token):
        refused = api.post(f"/coaching/sessions/{session['id']}/reschedule", token=token, json={"start": slots[-1]})
        assert_error(refused, 409, "CONFLICT")
        assert (
            refused.json()["error"]["message"] == f"Sessions can only be rescheduled up to {window}h before their start"
        )
    assert_error(
        api.post(f"/coaching/sessions/{session['id']}/cancel", token=learner_token, json={"reason": "Ill"}),
        409,
        "CONFLICT",
    )
    unchanged = _data(api.get(f"/coaching/sessions/{session['id']}", token=learner_token))
    assert (unchanged["start"], unchanged["sequence"], unchanged["status"]) == (slots[0], 0, "booked")
    # An admin is exempt, as for cancelling; with the window behind it, either party may move it again.
    moved = _data(api.post(f"/coaching/sessions/{session['id']}/reschedule", token=admin, json={"start": slots[-1]}))
    assert moved["start"] == slots[-1]
    assert api.put("/admin/settings/coaching.cancellation_window_hours", token=admin, json={"value": 0}).ok
    moved = _data(
        api.post(f"/coaching/sessions/{session['id']}/reschedule", token=learner_token, json={"start": slots[1]})
    )
    assert moved["start"] == slots[1] and moved["sequence"] == 2


def test_a_session_is_completed_only_once_it_has_started(api, platform, event_tap):
    tap = event_tap("coaching")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    coach, coach_token = make_coach(api, admin)
    learner, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    # A session days ahead: refused, with the reason and its start.
    ahead = _data(
        api.post(
            "/coaching/sessions",
            token=learner_token,
            json={"coach_id": coach["id"], "start": _slots(api, learner_token, coach["id"])[0]},
        ),
        201,
    )
    for token in (coach_token, admin):
        early = api.post(f"/coaching/sessions/{ahead['id']}/complete", token=token)
        assert_error(early, 409, "CONFLICT")
        error = early.json()["error"]
        assert (
            error["message"] == f"A session can be completed once it has started; this one starts at {ahead['start']}"
        )
        assert error["details"] == {"start": ahead["start"]}
    assert _data(api.get(f"/coaching/sessions/{ahead['id']}", token=learner_token))["status"] == "booked"

    # A session that has started (refused a moment before its start, in started_session): the coach completes it.
    soon_coach, soon_token, session = started_session(api, admin, learner_token)
    assert_error(api.post(f"/coaching/sessions/{session['id']}/complete", token=learner_token), 403, "FORBIDDEN")
    done = _data(api.post(f"/coaching/sessions/{session['id']}/complete", token=soon_token))
    assert done["status"] == "completed" and done["sequence"] == 1
    completed = tap.wait_for(events.SESSION_COMPLETED, session_id=session["id"])
    assert completed["user_id"] == learner["id"]
    assert completed["metadata"] == {
        "session_id": session["id"],
        "coach_id": soon_coach["id"],
        "learner_id": learner["id"],
        "coach_name": "Sam Soon",
        "starts_at": session["start"],
        "ends_at": session["end"],
        "title": "Coaching session",
        "topic": None,
    }
    assert_error(api.post(f"/coaching/sessions/{session['id']}/complete", token=soon_token), 409, "CONFLICT")


# The GET routes of coaching and events that answer one thing, not a list.
ONE_THING = {
    "/coaching/coaches/<coach_id>",
    "/coaching/coaches/<coach_id>/availability",  # the coach's hours, replaced whole by its PUT
    "/coaching/sessions/<session_id>",
    "/events/<event_id>",
}


def test_every_list_of_coaching_and_events_is_paginated_alike(api, platform):
    lists = [
        route.path
        for route in ROUTES
        if route.service in ("coaching", "events") and route.method == "GET" and not route.file
        if route.rpc != "health" and route.path not in ONE_THING
    ]
    not_paginated = [
        path for path in lists if not next(r for r in ROUTES if (r.method, r.path) == ("GET", path)).paginated
    ]
    assert len(lists) == 7 and not_paginated == [], lists

    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    coach, coach_token = make_coach(api, admin)
    _, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    now = datetime.now(UTC)
    window = {"from": iso(now + timedelta(days=2)), "to": iso(now + timedelta(days=5)), "page_size": 100}
    slots = [
        slot["start"]
        for slot in _data(api.get(f"/coaching/coaches/{coach['id']}/slots", token=learner_token, params=window))[
            "items"
        ]
    ]
    session = _data(
        api.post("/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": slots[0]}), 201
    )
    for body in ("one", "two", "three"):
        _data(api.post(f"/coaching/sessions/{session['id']}/notes", token=coach_token, json={"body": body}), 201)
    start = datetime.now(UTC) + timedelta(days=5)
    for title in ("First", "Second"):
        event = {
            "title": title,
            "kind": "in_person",
            "location": "Room 4",
            "starts_at": iso(start),
            "ends_at": iso(start + timedelta(hours=1)),
            "capacity": 1,
        }
        event_id = _data(api.post("/events", token=coach_token, json=event), 201)["id"]
        _data(api.post(f"/events/{event_id}/register", token=learner_token))
    _data(api.post(f"/events/{event_id}/register", token=admin))  # waitlisted

    calls = {  # path: (token, query, how many in all)
        "/coaching/coaches": (learner_token, {}, 1),
        f"/coaching/coaches/{coach['id']}/slots": (learner_token, window, len(slots) - 1),
        "/coaching/sessions": (learner_token, {}, 1),
        f"/coaching/sessions/{session['id']}/notes": (coach_token, {}, 3),
        "/events": (None, {}, 2),
        "/events/registrations/me": (learner_token, {}, 2),
        f"/events/{event_id}/registrations": (coach_token, {}, 2),
    }
    for path, (token, query, total) in calls.items():
        page = _data(api.get(path, token=token, params={**query, "page": 2, "page_size": 1}))
        assert set(page) == {"items", "total", "page", "page_size"}, path
        assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (
            total,
            2,
            1,
            min(total - 1, 1),
        ), path
        assert_error(api.get(path, token=token, params={**query, "page_size": 101}), 400, "VALIDATION_ERROR")
    # Offsets beyond PostgreSQL's +-15:59 are fine instants (sent to the database in UTC), not a server error.
    far_west = timezone(timedelta(hours=-18, minutes=-30))
    period = {"from": (now - timedelta(days=1)).astimezone(far_west).isoformat(), "to": iso(now + timedelta(days=9))}
    assert _data(api.get("/coaching/sessions", token=learner_token, params=period))["total"] == 1
    assert _data(api.get(f"/coaching/coaches/{coach['id']}/slots", token=learner_token, params=period))["total"]
    # The second of the coach's notes; the waitlisted admin is second in arrival, first in the waitlist.
    notes = _data(
        api.get(f"/coaching/sessions/{session['id']}/notes", token=coach_token, params={"page": 2, "page_size": 1})
    )
    assert notes["items"][0]["body"] == "two"
    waiting = _data(api.get(f"/events/{event_id}/registrations", token=coach_token, params={"status": "waitlisted"}))
    assert [(row["status"], row["waitlist_position"]) for row in waiting["items"]] == [("waitlisted", 1)]
