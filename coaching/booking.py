"""Booking, rescheduling and the rules around them; the database settles races.

One transaction locks the coach's profile row (``SELECT ... FOR UPDATE``) and,
on PostgreSQL, a transaction-scoped advisory lock on the learner, then checks
overlaps for both and writes. A partial unique index on (coach_id, start_at)
for live sessions is the last word if anything slips past.
"""

import zlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, text
from sqlalchemy.exc import IntegrityError

from coaching.models import BOOKED, AvailabilityException, CoachingSession, CoachProfile, WeeklyWindow
from coaching.slots import bookable_slots
from common.clock import as_utc
from common.exceptions import Conflict, NotFound, ValidationError

SLOT_TAKEN = "That slot is no longer available"


def get_profile(session, coach_id, lock=False):
    query = select(CoachProfile).where(CoachProfile.user_id == coach_id)
    if lock:
        query = query.with_for_update()
    profile = session.scalars(query).first()
    if profile is None:
        raise NotFound("No such coach")
    return profile


def availability(session, coach_id):
    weekly = session.scalars(select(WeeklyWindow).where(WeeklyWindow.coach_id == coach_id)).all()
    exceptions = session.scalars(select(AvailabilityException).where(AvailabilityException.coach_id == coach_id)).all()
    return weekly, exceptions


def busy_periods(session, start, end, coach_id=None, learner_id=None, exclude=None):
    """(start, end) of live sessions of the coach or the learner near [start, end)."""
    people = []
    if coach_id is not None:
        people.append(CoachingSession.coach_id == coach_id)
    if learner_id is not None:
        people.append(CoachingSession.learner_id == learner_id)
    query = select(CoachingSession.start_at, CoachingSession.end_at).where(
        CoachingSession.status == BOOKED,
        or_(*people),
        and_(CoachingSession.start_at < end + timedelta(hours=6), CoachingSession.end_at > start - timedelta(hours=6)),
    )
    if exclude is not None:
        query = query.where(CoachingSession.id != exclude)
    return [(as_utc(s), as_utc(e)) for s, e in session.execute(query).all()]


def free_slots(session, profile, start, end, now):
    weekly, exceptions = availability(session, profile.user_id)
    busy = busy_periods(session, start, end, coach_id=profile.user_id)
    return bookable_slots(profile, weekly, exceptions, busy, as_utc(start), as_utc(end), now)


def _lock_learner(session, learner_id):
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"learner:{learner_id}".encode()) - 2**31
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _check_slot(session, profile, learner_id, start, now, exclude=None):
    """Raise unless [start, start + length) is a free slot for the coach and the learner."""
    length = timedelta(minutes=profile.session_minutes)
    if start < now + timedelta(minutes=profile.min_notice_minutes):
        raise ValidationError(
            f"Sessions must be booked at least {profile.min_notice_minutes} minutes ahead", {"start": ["too soon"]}
        )
    weekly, exceptions = availability(session, profile.user_id)
    coach_busy = busy_periods(session, start, start + length, coach_id=profile.user_id, exclude=exclude)
    if start not in bookable_slots(profile, weekly, exceptions, coach_busy, start, start + length, now):
        if start in bookable_slots(profile, weekly, exceptions, [], start, start + length, now):
            raise Conflict(SLOT_TAKEN)
        raise ValidationError("That is not one of the coach's slots", {"start": ["not a slot"]})
    learner_busy = busy_periods(session, start, start + length, learner_id=learner_id, exclude=exclude)
    if any(start < b_end and b_start < start + length for b_start, b_end in learner_busy):
        raise Conflict("You already have a session at that time")
    return start + length


def book(session, coach_id, learner_id, start, topic, now):
    start = start.astimezone(UTC)
    profile = get_profile(session, coach_id, lock=True)
    _lock_learner(session, learner_id)
    end = _check_slot(session, profile, learner_id, start, now)
    item = CoachingSession(
        coach_id=profile.user_id, learner_id=learner_id, start_at=start, end_at=end, topic=topic, status=BOOKED
    )
    session.add(item)
    settle(session)
    return item


def reschedule(session, item, start, now):
    start = start.astimezone(UTC)
    profile = get_profile(session, item.coach_id, lock=True)
    _lock_learner(session, item.learner_id)
    session.refresh(item)
    if item.status != BOOKED:
        raise Conflict("Only a booked session can be rescheduled")
    end = _check_slot(session, profile, item.learner_id, start, now, exclude=item.id)
    previous = item.start_at
    item.start_at, item.end_at = start, end
    item.sequence += 1
    settle(session)
    return previous


def settle(session):
    """Write the booking now (the caller commits it with its event): a slot taken meanwhile is a 409."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(SLOT_TAKEN) from None


def commit(session):
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(SLOT_TAKEN) from None


def now_utc():
    return datetime.now(UTC)
