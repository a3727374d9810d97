"""Registration, the waitlist and promotion, all under a row lock on the event.

The lock (``SELECT ... FOR UPDATE`` on the event row) serialises every change
of one event's seats, so counting registered rows and adding one cannot
overbook; arrival order (``position``) is also taken under it.
"""

from sqlalchemy import func, select

from common.clock import as_utc
from common.exceptions import Conflict, NotFound
from events.contracts import CANCELLED, REGISTERED, WAITLISTED
from events.models import Registration
from events.store import Events


def lock_event(session, event_id):
    return Events(session).get(event_id, lock=True)


def registered_count(session, event_id):
    return session.scalar(
        select(func.count()).where(Registration.event_id == event_id, Registration.status == REGISTERED)
    )


def register(session, event_id, user_id, now):
    """The caller's registration (registered or waitlisted), and whether it changed. The caller commits."""
    event = lock_event(session, event_id)
    if event.status == CANCELLED:
        raise Conflict("The event is cancelled")
    if as_utc(event.starts_at) <= now or (event.registration_deadline and as_utc(event.registration_deadline) < now):
        raise Conflict("Registration for this event is closed")
    existing = session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.user_id == user_id)
    ).first()
    if existing is not None and existing.status != CANCELLED:
        return event, existing, False
    status = REGISTERED if registered_count(session, event.id) < event.capacity else WAITLISTED
    position = (
        session.scalar(select(func.max(Registration.position)).where(Registration.event_id == event.id)) or 0
    ) + 1
    if existing is None:
        existing = Registration(event_id=event.id, user_id=user_id)
        session.add(existing)
    existing.status, existing.position, existing.registered_at = status, position, now
    existing.promoted_at = existing.reminded_at = None
    existing.changes = (existing.changes or 0) + 1
    session.flush()
    return event, existing, True


def promote(session, event, now):
    """Fill free seats from the waitlist, first come first served; the promoted registrations."""
    promoted = []
    free = event.capacity - registered_count(session, event.id)
    if free <= 0 or event.status == CANCELLED:
        return promoted
    waiting = session.scalars(
        select(Registration)
        .where(Registration.event_id == event.id, Registration.status == WAITLISTED)
        .order_by(Registration.position)
        .limit(free)
    ).all()
    for registration in waiting:
        registration.status = REGISTERED
        registration.promoted_at = now
        registration.changes += 1
        promoted.append(registration)
    session.flush()
    return promoted


def withdraw(session, event_id, user_id, now):
    """Cancel the caller's registration and promote from the waitlist. The caller commits."""
    event = lock_event(session, event_id)
    registration = session.scalars(
        select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == user_id, Registration.status != CANCELLED
        )
    ).first()
    if registration is None:
        raise NotFound("You are not registered for this event")
    if registration.attended_at is not None:
        raise Conflict("You were checked in as attended; the registration can no longer be cancelled")
    registration.status = CANCELLED
    registration.changes += 1
    session.flush()
    return event, registration, promote(session, event, now)
