"""Booking rules as plain functions on SQLite (embedded mode): slots, conflicts, learner overlaps, rescheduling."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from coaching import booking
from coaching.contracts import CANCELLED
from coaching.models import Base, CoachProfile, WeeklyWindow
from common.exceptions import Conflict, ValidationError

NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)
MONDAY_9_UTC = datetime(2027, 3, 8, 9, tzinfo=UTC)


@pytest.fixture
def session(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'coaching.sqlite3'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def add_coach(session, buffer=0):
    coach_id = uuid.uuid4()
    session.add(
        CoachProfile(
            user_id=coach_id,
            name="C",
            expertise=[],
            languages=[],
            timezone="UTC",
            session_minutes=60,
            buffer_minutes=buffer,
            min_notice_minutes=60,
            price_cents=0,
            currency="USD",
        )
    )
    session.add(WeeklyWindow(coach_id=coach_id, weekday=0, start_time=time(9), end_time=time(12)))
    session.commit()
    return coach_id


def test_a_slot_books_once_and_frees_on_cancel(session):
    coach = add_coach(session)
    first = booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC, None, NOW)
    with pytest.raises(Conflict):
        booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC, None, NOW)
    first.status = CANCELLED
    session.commit()
    assert booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC, None, NOW).status == "booked"


def test_not_a_slot_too_soon_and_learner_overlap(session):
    coach, other_coach = add_coach(session), add_coach(session)
    learner = uuid.uuid4()
    with pytest.raises(ValidationError):
        booking.book(session, coach, learner, MONDAY_9_UTC + timedelta(minutes=30), None, NOW)
    with pytest.raises(ValidationError):
        booking.book(session, coach, learner, MONDAY_9_UTC, None, MONDAY_9_UTC - timedelta(minutes=30))
    booking.book(session, coach, learner, MONDAY_9_UTC, None, NOW)
    with pytest.raises(Conflict):
        booking.book(session, other_coach, learner, MONDAY_9_UTC, None, NOW)


def test_buffers_and_rescheduling(session):
    coach = add_coach(session, buffer=30)
    # With a 30-minute buffer the slots are 09:00 and 10:30.
    slots = booking.free_slots(
        session, session.get(CoachProfile, coach), MONDAY_9_UTC, MONDAY_9_UTC + timedelta(hours=3), NOW
    )
    assert [slot.strftime("%H:%M") for slot in slots] == ["09:00", "10:30"]
    item = booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC, None, NOW)
    later = MONDAY_9_UTC + timedelta(minutes=90)
    assert booking.reschedule(session, item, later, NOW).replace(tzinfo=UTC) == MONDAY_9_UTC
    assert item.sequence == 1
    assert booking.free_slots(session, session.get(CoachProfile, coach), MONDAY_9_UTC, later, NOW) == [MONDAY_9_UTC]
