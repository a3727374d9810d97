"""Coaching over HTTP on real RabbitMQ and PostgreSQL: the issue's must-show flow and the booking race."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import eventlet

from common import events
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.coaching_setup import COACH_ZONE, iso, make_coach, next_offset_change


def _slots(api, token, coach_id, start, end):
    response = api.get(f"/coaching/coaches/{coach_id}/slots", token=token, params={"from": iso(start), "to": iso(end)})
    assert response.status_code == 200, response.text
    return [slot["start"] for slot in response.json()["data"]["items"]]


def _parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_book_across_daylight_saving_share_a_note_and_cancel(api, platform, event_tap):
    tap = event_tap("coaching")
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    coach, coach_token = make_coach(api, admin)
    learner, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    _, other_token = make_user(api, admin, "otto@example.com", "Otto")

    # Directory: filters by expertise and language, paginated.
    found = api.get("/coaching/coaches", token=learner_token, params={"expertise": "Leadership", "language": "es"})
    assert [c["id"] for c in found.json()["data"]["items"]] == [coach["id"]]
    assert api.get("/coaching/coaches", token=learner_token, params={"language": "fr"}).json()["data"]["total"] == 0
    assert api.get(f"/coaching/coaches/{coach['id']}", token=learner_token).json()["data"]["timezone"] == COACH_ZONE
    # Only coaches have a profile; only the coach (or an admin) sets its availability.
    assert_error(api.put("/coaching/coaches/me", token=learner_token, json={"bio": "x"}), 403, "FORBIDDEN")
    assert_error(
        api.put(f"/coaching/coaches/{coach['id']}/availability", token=learner_token, json={"weekly": []}),
        403,
        "FORBIDDEN",
    )

    # Slots over the next daylight-saving change: 09:00 and 10:00 local every day, so the UTC hour moves.
    zone = ZoneInfo(COACH_ZONE)
    change = next_offset_change(COACH_ZONE)
    start = datetime.combine(change - timedelta(days=1), datetime.min.time(), tzinfo=zone)
    end = datetime.combine(change + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    slots = _slots(api, learner_token, coach["id"], start, end)
    assert len(slots) == 4, slots
    assert all(slot.endswith("Z") for slot in slots)
    local = [_parse(slot).astimezone(zone) for slot in slots]
    assert [(moment.date(), moment.strftime("%H:%M")) for moment in local] == [
        (change - timedelta(days=1), "09:00"),
        (change - timedelta(days=1), "10:00"),
        (change, "09:00"),
        (change, "10:00"),
    ]
    before, after = _parse(slots[0]), _parse(slots[2])
    assert before.utcoffset() == after.utcoffset() == timedelta(0)
    assert (after - before) != timedelta(days=1)  # the same wall time is a different UTC distance apart

    # Book the first slot after the change.
    booked = api.post(
        "/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": slots[2], "topic": "Goals"}
    )
    assert booked.status_code == 201, booked.text
    session = booked.json()["data"]
    assert session["status"] == "booked" and _parse(session["start"]) == after
    notice = tap.wait_for(events.SESSION_BOOKED, session_id=session["id"])
    assert notice["user_id"] == learner["id"]
    # What notifications and engagement need about the session travels with every coaching event.
    about = {
        "session_id": session["id"],
        "coach_id": coach["id"],
        "learner_id": learner["id"],
        "coach_name": "Cora Coach",
        "starts_at": slots[2],
        "ends_at": session["end"],
        "title": "Coaching session: Goals",
        "topic": "Goals",
    }
    assert notice["metadata"] == about
    assert slots[2] not in _slots(api, learner_token, coach["id"], start, end)
    # The slot is taken, the learner cannot be in two places, and a non-slot is refused.
    assert_error(
        api.post("/coaching/sessions", token=other_token, json={"coach_id": coach["id"], "start": slots[2]}),
        409,
        "CONFLICT",
    )
    assert_error(
        api.post(
            "/coaching/sessions",
            token=other_token,
            json={"coach_id": coach["id"], "start": iso(after + timedelta(minutes=30))},
        ),
        400,
        "VALIDATION_ERROR",
    )

    # Both parties see the session; nobody else does.
    mine = api.get("/coaching/sessions", token=coach_token, params={"role": "coach", "status": "booked"})
    assert [s["id"] for s in mine.json()["data"]["items"]] == [session["id"]]
    assert api.get(f"/coaching/sessions/{session['id']}", token=learner_token).status_code == 200
    assert_error(api.get(f"/coaching/sessions/{session['id']}", token=other_token), 404, "NOT_FOUND")

    # Notes: the coach writes a shared one and a private one; the learner reads only the shared one.
    shared = api.post(
        f"/coaching/sessions/{session['id']}/notes", token=coach_token, json={"body": "Read chapter 2", "shared": True}
    )
    assert shared.status_code == 201, shared.text
    note_shared = tap.wait_for(events.NOTE_SHARED, session_id=session["id"])
    assert note_shared["user_id"] == learner["id"]
    assert note_shared["metadata"] == {**about, "note_id": shared.json()["data"]["id"]}
    private = api.post(f"/coaching/sessions/{session['id']}/notes", token=coach_token, json={"body": "Seems anxious"})
    assert private.status_code == 201
    coach_view = api.get(f"/coaching/sessions/{session['id']}/notes", token=coach_token).json()["data"]["items"]
    assert [note["body"] for note in coach_view] == ["Read chapter 2", "Seems anxious"]
    learner_view = api.get(f"/coaching/sessions/{session['id']}/notes", token=learner_token).json()["data"]["items"]
    assert [note["body"] for note in learner_view] == ["Read chapter 2"]
    assert_error(api.get(f"/coaching/sessions/{session['id']}/notes", token=other_token), 404, "NOT_FOUND")
    assert_error(api.get(f"/coaching/sessions/{session['id']}/notes", token=admin), 403, "FORBIDDEN")
    assert_error(
        api.post(f"/coaching/sessions/{session['id']}/notes", token=learner_token, json={"body": "hi"}),
        403,
        "FORBIDDEN",
    )

    # Reschedule to the other slot that day, then cancel with a reason: the slot is free again.
    moved = api.post(f"/coaching/sessions/{session['id']}/reschedule", token=learner_token, json={"start": slots[3]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["data"]["sequence"] == 1
    rescheduled = tap.wait_for(events.SESSION_RESCHEDULED, session_id=session["id"])["metadata"]
    assert rescheduled == {
        **about,
        "starts_at": slots[3],
        "ends_at": moved.json()["data"]["end"],
        "previous_start": slots[2],
    }
    assert slots[2] in _slots(api, learner_token, coach["id"], start, end)
    assert slots[3] not in _slots(api, learner_token, coach["id"], start, end)
    assert_error(
        api.post(f"/coaching/sessions/{session['id']}/cancel", token=learner_token, json={}), 400, "VALIDATION_ERROR"
    )
    cancelled = api.post(f"/coaching/sessions/{session['id']}/cancel", token=coach_token, json={"reason": "Travelling"})
    assert cancelled.status_code == 200, cancelled.text
    assert (
        cancelled.json()["data"]["status"] == "cancelled" and cancelled.json()["data"]["cancel_reason"] == "Travelling"
    )
    cancelled_notice = tap.wait_for(events.SESSION_CANCELLED, session_id=session["id"])["metadata"]
    assert cancelled_notice == {
        **about,
        "starts_at": slots[3],
        "ends_at": moved.json()["data"]["end"],
        "reason": "Travelling",
        "cancelled_by": coach["id"],
    }
    assert slots[3] in _slots(api, learner_token, coach["id"], start, end)
    # The freed slot books again (the unique index only counts live sessions).
    again = api.post("/coaching/sessions", token=other_token, json={"coach_id": coach["id"], "start": slots[3]})
    assert again.status_code == 201, again.text
    # Only the coach completes, and only once the session has started (this one is days ahead: 409).
    # Completing a started session, and its SESSION_COMPLETED, are in test_coaching_depth.py.
    assert_error(
        api.post(f"/coaching/sessions/{again.json()['data']['id']}/complete", token=other_token), 403, "FORBIDDEN"
    )
    early = api.post(f"/coaching/sessions/{again.json()['data']['id']}/complete", token=coach_token)
    assert_error(early, 409, "CONFLICT")
    assert "once it has started" in early.json()["error"]["message"]


def test_cancellation_window_and_minimum_notice(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    coach, _ = make_coach(api, admin)
    _, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    now = datetime.now(UTC)
    soon = _slots(api, learner_token, coach["id"], now, now + timedelta(days=3))
    # Nothing inside the coach's 60 minutes of notice is offered, and booking one is refused.
    assert all(_parse(slot) >= now + timedelta(minutes=60) for slot in soon)
    booked = api.post("/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": soon[0]})
    assert booked.status_code == 201, booked.text
    session_id = booked.json()["data"]["id"]
    # Inside the cancellation window (a runtime setting) neither side may cancel; outside it they may.
    setting = api.put("/admin/settings/coaching.cancellation_window_hours", token=admin, json={"value": 24 * 5})
    assert setting.status_code == 200, setting.text
    assert_error(
        api.post(f"/coaching/sessions/{session_id}/cancel", token=learner_token, json={"reason": "Ill"}),
        409,
        "CONFLICT",
    )
    assert api.put("/admin/settings/coaching.cancellation_window_hours", token=admin, json={"value": 0}).ok
    cancelled = api.post(f"/coaching/sessions/{session_id}/cancel", token=learner_token, json={"reason": "Ill"})
    assert cancelled.status_code == 200, cancelled.text


def test_concurrent_bookings_of_one_slot_give_one_success(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    coach, _ = make_coach(api, admin)
    learners = [make_user(api, admin, f"racer{i}@example.com", f"Racer {i}")[1] for i in range(6)]
    now = datetime.now(UTC)
    slot = _slots(api, learners[0], coach["id"], now + timedelta(days=2), now + timedelta(days=4))[0]

    def book(token):
        with ApiClient(api.base_url) as client:
            return client.post("/coaching/sessions", token=token, json={"coach_id": coach["id"], "start": slot})

    responses = list(eventlet.GreenPool(len(learners)).imap(book, learners))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (len(learners) - 1), [r.text for r in responses]
    coach_sessions = api.get("/coaching/sessions", token=_coach_token(api)).json()["data"]
    assert coach_sessions["total"] == 1


def _coach_token(api):
    return api.login("cora@example.com", "user-password-1")["access_token"]


def test_one_learner_cannot_book_two_coaches_at_once_even_concurrently(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    coaches = [make_coach(api, admin, f"coach{i}@example.com", f"Coach {i}")[0] for i in range(8)]
    _, learner_token = make_user(api, admin, "lea@example.com", "Lea")
    now = datetime.now(UTC)
    # Every coach keeps the same New York hours, so their slots coincide.
    slot = _slots(api, learner_token, coaches[0]["id"], now + timedelta(days=2), now + timedelta(days=4))[0]

    def book(coach):
        with ApiClient(api.base_url) as client:
            return client.post("/coaching/sessions", token=learner_token, json={"coach_id": coach["id"], "start": slot})

    responses = list(eventlet.GreenPool(len(coaches)).imap(book, coaches))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * (len(coaches) - 1), [r.text for r in responses]
    assert api.get("/coaching/sessions", token=learner_token).json()["data"]["total"] == 1
