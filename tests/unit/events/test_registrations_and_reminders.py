"""Registration, waitlist, reminders and calendars as plain functions on SQLite."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from common.exceptions import Conflict
from events import attendance, calendar, registrations, reminders
from events.contracts import CANCELLED, REGISTERED, SCHEDULED, WAITLISTED
from events.models import Base, Event, Registration

NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'events.sqlite3'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def add_event(engine, starts_in=timedelta(days=3), capacity=2, **extra):
    with Session(engine) as session:
        event = Event(
            organiser_id=uuid.uuid4(),
            title="Workshop",
            kind="online",
            join_url="https://meet.example.com/x",
            timezone="Europe/Berlin",
            starts_at=NOW + starts_in,
            ends_at=NOW + starts_in + timedelta(hours=1),
            capacity=capacity,
            status=SCHEDULED,
            sequence=0,
            updated_at=NOW,
            **extra,
        )
        session.add(event)
        session.commit()
        return event.id


def register(engine, event_id, user_id):
    with Session(engine) as session:
        _, registration, _ = registrations.register(session, event_id, user_id, NOW)
        session.commit()
        return registration.status


def test_waitlist_in_order_and_promotion_of_the_first(engine):
    event_id = add_event(engine)
    users = [uuid.uuid4() for _ in range(5)]
    assert [register(engine, event_id, user) for user in users] == [REGISTERED] * 2 + [WAITLISTED] * 3
    assert register(engine, event_id, users[0]) == REGISTERED  # registering twice changes nothing
    with Session(engine) as session:
        _, withdrawn, promoted = registrations.withdraw(session, event_id, users[1], NOW)
        session.commit()
        assert [row.user_id for row in promoted] == [users[2]]
    with Session(engine) as session:
        rows = session.scalars(select(Registration).where(Registration.event_id == event_id)).all()
        status = {row.user_id: row.status for row in rows}
    assert [status[user] for user in users] == [REGISTERED, "cancelled", REGISTERED, WAITLISTED, WAITLISTED]
    # Coming back puts you at the end of the queue.
    assert register(engine, event_id, users[1]) == WAITLISTED


def test_registration_closes_at_the_deadline_and_at_the_start(engine):
    past_deadline = add_event(engine, registration_deadline=NOW - timedelta(minutes=1))
    started = add_event(engine, starts_in=timedelta(minutes=-5))
    for event_id in (past_deadline, started):
        with pytest.raises(Conflict):
            register(engine, event_id, uuid.uuid4())


def test_reminders_go_once_even_across_runs_and_replicas(engine):
    soon = add_event(engine, starts_in=timedelta(hours=2), capacity=5)
    later = add_event(engine, starts_in=timedelta(days=3), capacity=5)
    users = [uuid.uuid4() for _ in range(3)]
    for user in users:
        register(engine, soon, user)
        register(engine, later, user)
    with Session(engine) as session:
        _, _, _ = registrations.withdraw(session, soon, users[2], NOW)
        session.commit()
    sent = []
    # Two "replicas", each with its own session, run one after the other; a third run after a "restart".
    for _ in range(3):
        with Session(engine) as session:
            reminders.send_due(session, NOW, 24 * 60, lambda event, user_id, _: sent.append((event.id, user_id)))
    assert sorted(sent) == sorted([(soon, users[0]), (soon, users[1])])


def test_a_claim_is_won_by_one_caller_only(engine):
    event_id = add_event(engine, starts_in=timedelta(hours=1))
    register(engine, event_id, uuid.uuid4())
    with Session(engine) as first, Session(engine) as second:
        ((registration_id, _),) = reminders.due(first, NOW, 60 * 24)
        assert reminders.claim(first, registration_id, NOW) is True
        first.commit()  # the caller commits the claim with its EVENT_REMINDER
        assert reminders.claim(second, registration_id, NOW) is False


def check_in(engine, event_id, user_ids, now=NOW):
    """(newly marked, already marked) user ids, committed."""
    with Session(engine) as session:
        event = registrations.lock_event(session, event_id)
        newly, already = attendance.mark(session, event, user_ids, now, uuid.uuid4())
        session.commit()
        return [row.user_id for row in newly], [row.user_id for row in already]


def test_attendance_marks_registered_attendees_once_after_the_start(engine):
    event_id = add_event(engine, capacity=2)
    users = [uuid.uuid4() for _ in range(4)]
    for user in users:
        register(engine, event_id, user)  # two registered, two waitlisted
    with Session(engine) as session:
        registrations.withdraw(session, event_id, users[1], NOW)  # users[2] is promoted
        session.commit()
    # Not before the start.
    with pytest.raises(Conflict) as raised:
        check_in(engine, event_id, [users[0]])
    assert "started" in raised.value.message
    started = NOW + timedelta(days=3, minutes=5)
    # Anyone not registered (waitlisted, cancelled, never registered) refuses the whole request, marking nobody.
    stranger = uuid.uuid4()
    with pytest.raises(Conflict) as raised:
        check_in(engine, event_id, [users[0], users[1], users[3], stranger], now=started)
    assert raised.value.details["user_ids"] == {
        str(users[1]): "cancelled",
        str(users[3]): WAITLISTED,
        str(stranger): attendance.NOT_REGISTERED,
    }
    assert attendance_of(engine, event_id) == {}
    # Registered attendees are marked once; repeats (in one request or later) mark nobody again.
    assert check_in(engine, event_id, [users[0], users[0]], now=started) == ([users[0]], [])
    assert check_in(engine, event_id, [users[2], users[0]], now=started) == ([users[2]], [users[0]])
    assert check_in(engine, event_id, [users[0], users[2]], now=started) == ([], [users[0], users[2]])
    assert set(attendance_of(engine, event_id)) == {users[0], users[2]}
    with Session(engine) as session:
        assert attendance.attended_count(session, event_id) == 2
        # An attendee who was checked in cannot cancel afterwards.
        with pytest.raises(Conflict):
            registrations.withdraw(session, event_id, users[0], started)


def test_attendance_refused_for_a_cancelled_event(engine):
    event_id = add_event(engine, starts_in=timedelta(hours=-1))
    with Session(engine) as session:
        session.get(Event, event_id).status = CANCELLED
        session.commit()
    with pytest.raises(Conflict):
        check_in(engine, event_id, [uuid.uuid4()])


def test_attended_event_id_is_fixed_per_registration():
    first, second = uuid.uuid4(), uuid.uuid4()
    assert attendance.occurrence_id(first) == attendance.occurrence_id(first)
    assert attendance.occurrence_id(first) != attendance.occurrence_id(second)
    assert len(attendance.occurrence_id(first)) == 32


def attendance_of(engine, event_id):
    with Session(engine) as session:
        rows = session.scalars(
            select(Registration).where(Registration.event_id == event_id, Registration.attended_at.is_not(None))
        ).all()
        return {row.user_id: row.attended_at for row in rows}


def test_calendar_files_are_valid_and_mark_cancellation(engine):
    event_id = add_event(engine)
    with Session(engine) as session:
        event = session.get(Event, event_id)
        cal = calendar.new_calendar("Test")
        cal.add_component(calendar.event_component(event, show_join_url=False))
        session_row = {
            "id": "abc",
            "start": "2027-03-14T13:00:00.000Z",
            "end": "2027-03-14T14:00:00.000Z",
            "topic": None,
            "sequence": 3,
            "status": "cancelled",
        }
        cal.add_component(calendar.session_component(session_row))
        parsed = Calendar.from_ical(calendar.render(cal))
    items = {str(item["UID"]): item for item in parsed.walk("VEVENT")}
    assert str(parsed["VERSION"]) == "2.0" and parsed["PRODID"]
    assert items[f"event-{event_id}@lnd.platform"]["STATUS"] == "CONFIRMED"
    assert "URL" not in items[f"event-{event_id}@lnd.platform"]
    assert items["session-abc@lnd.platform"]["STATUS"] == "CANCELLED"
    assert int(items["session-abc@lnd.platform"]["SEQUENCE"]) == 3
    assert {str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")} == {"Europe/Berlin"}
