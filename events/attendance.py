"""Attendance check-in: the organiser (or an admin) marks registered attendees as attended.

Everything happens under the event's row lock (``SELECT ... FOR UPDATE``, the
same lock as registration), so two check-ins of the same people, from two
requests or two replicas, are serialised: the second finds ``attended_at``
already set and marks nobody. Each registration is marked at most once, for
life, and its ``EVENT_ATTENDED`` carries an id derived from the registration
(``occurrence_id``), so even a publish repeated after a failed commit is one
event to consumers, who are idempotent on ``event_id``.
"""

import uuid

from sqlalchemy import func, select

from common.clock import as_utc, isoformat
from common.exceptions import Conflict
from events.contracts import CANCELLED, REGISTERED, WAITLISTED
from events.models import Registration

NOT_REGISTERED = "not_registered"
# Fixed for life: EVENT_ATTENDED of one registration always has the same event_id.
ATTENDED_NAMESPACE = uuid.UUID("6f1c3c0e-52d4-4c55-9c84-0d7a4a0f6f31")
REASONS = {
    WAITLISTED: "is on the waitlist",
    CANCELLED: "cancelled their registration",
    NOT_REGISTERED: "is not registered",
}


def occurrence_id(registration_id):
    """The ``event_id`` of the one EVENT_ATTENDED a registration ever gets."""
    return uuid.uuid5(ATTENDED_NAMESPACE, f"attended:{registration_id}").hex


def attended_metadata(registration):
    """What EVENT_ATTENDED of a registration says besides the event: who, its fixed envelope id, when, marked by."""
    return {
        "user_id": registration.user_id,
        "envelope_id": occurrence_id(registration.id),
        "registration_id": str(registration.id),
        "attended_at": isoformat(registration.attended_at),
        "marked_by": str(registration.attended_by),
    }


def unique(user_ids):
    """The ids in their first order, each once."""
    return list(dict.fromkeys(user_ids))


def mark(session, event, user_ids, now, marked_by):
    """Mark ``user_ids`` attended at ``event`` (already locked by the caller).

    Returns ``(newly_marked, already_marked)`` registrations. Refuses the whole
    request (409) if the event is cancelled or has not started, or if any id is
    not a registered attendee (waitlisted, cancelled or never registered). The
    caller publishes for ``newly_marked`` and commits.
    """
    if event.status == CANCELLED:
        raise Conflict("The event is cancelled")
    if as_utc(event.starts_at) > now:
        raise Conflict("Attendance can be taken once the event has started", {"starts_at": isoformat(event.starts_at)})
    user_ids = unique(user_ids)
    rows = session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.user_id.in_(user_ids))
    ).all()
    by_user = {row.user_id: row for row in rows}
    refused = {}
    for user_id in user_ids:
        status = by_user[user_id].status if user_id in by_user else NOT_REGISTERED
        if status != REGISTERED:
            refused[str(user_id)] = status
    if refused:
        names = ", ".join(f"{user_id} {REASONS.get(status, status)}" for user_id, status in refused.items())
        raise Conflict(f"Only registered attendees can be marked as attended: {names}", {"user_ids": refused})
    newly, already = [], []
    for user_id in user_ids:
        registration = by_user[user_id]
        if registration.attended_at is None:
            registration.attended_at, registration.attended_by = now, marked_by
            newly.append(registration)
        else:
            already.append(registration)
    session.flush()
    return newly, already


def attended_count(session, event_id):
    return session.scalar(
        select(func.count()).where(Registration.event_id == event_id, Registration.attended_at.is_not(None))
    )
