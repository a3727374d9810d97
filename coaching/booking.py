"""Booking, rescheduling, cancelling and completing sessions, and who may see them; the database settles races.

One transaction locks the coach's profile row (``SELECT ... FOR UPDATE``) and,
on PostgreSQL, a transaction-scoped advisory lock on the learner, then checks
overlaps for both and writes. A partial unique index on (coach_id, start_at)
for live sessions is the last word if anything slips past.
"""

import uuid
import zlib
from datetime import UTC, timedelta

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from coaching import places
from coaching.contracts import BOOKED, CANCELLED, COMPLETED
from coaching.models import CoachingSession
from coaching.slots import bookable_slots
from coaching.store import Availability, Profiles, Sessions
from common.clock import as_utc, isoformat
from common.exceptions import Conflict, Forbidden, NotFound, ValidationError

SLOT_TAKEN = "That slot is no longer available"


def free_slots(session, profile, start, end, now):
    weekly, exceptions = Availability(session).of(profile.user_id)
    busy = Sessions(session).busy_periods(start, end, coach_id=profile.user_id)
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
    weekly, exceptions = Availability(session).of(profile.user_id)
    sessions = Sessions(session)
    coach_busy = sessions.busy_periods(start, start + length, coach_id=profile.user_id, exclude=exclude)
    if start not in bookable_slots(profile, weekly, exceptions, coach_busy, start, start + length, now):
        if start in bookable_slots(profile, weekly, exceptions, [], start, start + length, now):
            raise Conflict(SLOT_TAKEN)
        raise ValidationError("That is not one of the coach's slots", {"start": ["not a slot"]})
    learner_busy = sessions.busy_periods(start, start + length, learner_id=learner_id, exclude=exclude)
    if any(start < b_end and b_start < start + length for b_start, b_end in learner_busy):
        raise Conflict("You already have a session at that time")
    return start + length


def book(session, coach_id, learner_id, start, topic, now, link_template=""):
    if coach_id == learner_id:
        raise ValidationError("Coaches do not book themselves", {"coach_id": ["is you"]})
    start = start.astimezone(UTC)
    profile = Profiles(session).get(coach_id, lock=True)
    _lock_learner(session, learner_id)
    end = _check_slot(session, profile, learner_id, start, now)
    item = CoachingSession(
        id=uuid.uuid4(),  # now, for a link made from it
        coach_id=profile.user_id,
        learner_id=learner_id,
        start_at=start,
        end_at=end,
        topic=topic,
        status=BOOKED,
    )
    places.place_at_booking(item, profile, link_template)
    Sessions(session).add(item)
    settle(session)
    return item


def reschedule(session, item, start, now, window_hours, is_admin):
    """Move a booked session to another free slot, up to ``window_hours`` before its start (admins: any time)."""
    start = start.astimezone(UTC)
    profile = Profiles(session).get(item.coach_id, lock=True)
    _lock_learner(session, item.learner_id)
    session.refresh(item)
    if item.status != BOOKED:
        raise Conflict("Only a booked session can be rescheduled")
    _require_notice(item, now, window_hours, is_admin, "rescheduled")
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


def visible_session(sessions, session_id, user_id, is_admin, lock=False):
    """The session, for its coach, its learner or an admin; to anyone else it does not exist (404)."""
    item = sessions.get(session_id, lock=lock)
    if item is None or not (is_admin or user_id in (str(item.coach_id), str(item.learner_id))):
        raise NotFound("No such session")
    return item


def is_note_writer(item, user_id):
    """Whether ``user_id`` is the session's coach (True) or its learner (False); nobody else reads notes."""
    if user_id == str(item.coach_id):
        return True
    if user_id == str(item.learner_id):
        return False
    raise Forbidden("Notes are for the session's coach and learner only")


def _require_notice(item, now, window_hours, is_admin, done):
    """The notice window (runtime setting) of cancelling and rescheduling alike, so that moving a session out of
    the window first cannot get round it; admins are exempt."""
    if not is_admin and as_utc(item.start_at) - now < timedelta(hours=window_hours):
        raise Conflict(
            f"Sessions can only be {done} up to {window_hours}h before their start",
            {"start": isoformat(item.start_at), "window_hours": window_hours},
        )


def cancel(item, cancelled_by, reason, now, window_hours, is_admin):
    """Cancel a booked session, by either side, up to ``window_hours`` before its start (admins: any time)."""
    if item.status != BOOKED:
        raise Conflict(f"The session is already {item.status}")
    _require_notice(item, now, window_hours, is_admin, "cancelled")
    item.status, item.cancel_reason, item.cancelled_by = CANCELLED, reason, cancelled_by
    item.sequence += 1


def require_coach(item, user_id, is_admin, what):
    if not (is_admin or str(item.coach_id) == user_id):
        raise Forbidden(f"Only the coach {what}")


def complete(item, user_id, is_admin, now):
    """Mark a booked session completed: by its coach (or an admin), once it has started."""
    require_coach(item, user_id, is_admin, "completes a session")
    if item.status != BOOKED:
        raise Conflict(f"The session is already {item.status}")
    if as_utc(item.start_at) > now:
        raise Conflict(
            f"A session can be completed once it has started; this one starts at {isoformat(item.start_at)}",
            {"start": isoformat(item.start_at)},
        )
    item.status = COMPLETED
    item.sequence += 1
