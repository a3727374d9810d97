"""Booking rules as plain functions on SQLite (embedded mode): slots, conflicts, learner overlaps, rescheduling."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from coaching import booking, places
from coaching.contracts import CANCELLED, COMPLETED, IN_PERSON, ONLINE
from coaching.models import Base, CoachProfile, WeeklyWindow
from common.exceptions import Conflict, Forbidden, ValidationError

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
    assert booking.reschedule(session, item, later, NOW, 24, False).replace(tzinfo=UTC) == MONDAY_9_UTC
    assert item.sequence == 1
    assert booking.free_slots(session, session.get(CoachProfile, coach), MONDAY_9_UTC, later, NOW) == [MONDAY_9_UTC]


def test_rescheduling_keeps_the_cancellation_notice_window(session):
    coach = add_coach(session)
    item = booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC, None, NOW)
    fifteen_hours_before = MONDAY_9_UTC - timedelta(hours=15)
    # Moving it out of the window first would get round the window for cancelling: refused alike.
    with pytest.raises(Conflict, match="rescheduled up to 24h before their start"):
        booking.reschedule(session, item, MONDAY_9_UTC + timedelta(days=1), fifteen_hours_before, 24, False)
    with pytest.raises(Conflict, match="cancelled up to 24h before their start"):
        booking.cancel(item, uuid.uuid4(), "ill", fifteen_hours_before, 24, False)
    assert item.start_at.replace(tzinfo=UTC) == MONDAY_9_UTC and item.sequence == 0
    # An admin is exempt, as for cancelling; outside the window either party may.
    assert booking.reschedule(session, item, MONDAY_9_UTC + timedelta(hours=1), fifteen_hours_before, 24, True)
    assert booking.reschedule(session, item, MONDAY_9_UTC + timedelta(hours=2), NOW, 24, False)
    assert item.start_at.replace(tzinfo=UTC) == MONDAY_9_UTC + timedelta(hours=2)


def test_a_session_is_completed_by_its_coach_once_it_has_started(session):
    coach = add_coach(session)
    item = booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC, None, NOW)
    with pytest.raises(Forbidden):
        booking.complete(item, str(uuid.uuid4()), False, MONDAY_9_UTC)
    with pytest.raises(Conflict, match="once it has started") as refused:
        booking.complete(item, str(coach), True, MONDAY_9_UTC - timedelta(seconds=1))
    assert refused.value.details == {"start": "2027-03-08T09:00:00.000Z"}
    booking.complete(item, str(coach), False, MONDAY_9_UTC)
    assert item.status == COMPLETED and item.sequence == 1


def test_a_session_takes_its_place_from_the_coach_or_the_template(session):
    coach = add_coach(session)
    template = "https://meet.example.org/room-{session_id}"
    item = booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC, None, NOW, template)
    assert (item.kind, item.meeting_url, item.location) == (ONLINE, f"https://meet.example.org/room-{item.id}", None)
    profile = session.get(CoachProfile, coach)
    profile.meeting_url = "https://video.example.com/cora"
    assert booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC + timedelta(hours=1), None, NOW).meeting_url == (
        "https://video.example.com/cora"
    )
    profile.session_kind, profile.location = IN_PERSON, "Room 4, Main St 1"
    in_person = booking.book(session, coach, uuid.uuid4(), MONDAY_9_UTC + timedelta(hours=2), None, NOW, template)
    assert (in_person.kind, in_person.meeting_url, in_person.location) == (IN_PERSON, None, "Room 4, Main St 1")
    # The coach gives one session its own place; the same place again is no change (no SEQUENCE raised).
    assert places.change_place(item, profile, template, IN_PERSON, None, "Cafe")
    assert (item.kind, item.meeting_url, item.location, item.sequence) == (IN_PERSON, None, "Cafe", 1)
    assert not places.change_place(item, profile, template, IN_PERSON, None, "Cafe")
    assert places.change_place(item, profile, template, ONLINE, None, None) and item.sequence == 2
    assert item.meeting_url == "https://video.example.com/cora"  # online without a link: the coach's room
    item.status = CANCELLED
    with pytest.raises(Conflict):
        places.change_place(item, profile, template, ONLINE, "https://x.example/1", None)


@pytest.mark.parametrize(
    "template",
    ["meet.example.org/{session_id}", "https://meet.example.org/{user_id}", "https://x/{session_id.hex}", "https://{"],
)
def test_a_link_template_that_would_not_make_a_link_is_refused(template):
    with pytest.raises(ValidationError):
        places.LinkTemplate("", "link").coerce("meeting_url_template", template)


def test_a_link_template_makes_the_session_link():
    setting = places.LinkTemplate("", "link")
    assert setting.coerce("meeting_url_template", "") == ""
    assert setting.coerce("meeting_url_template", "https://meet.example.org/{session_id}")
    assert places.link_from("https://meet.example.org/{session_id}", "abc") == "https://meet.example.org/abc"
    assert places.link_from("", "abc") is None
