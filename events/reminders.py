"""Reminders: once per registrant, before the start, never twice.

Each due registration is claimed with a conditional UPDATE (``reminded_at IS
NULL``) and its EVENT_REMINDER is saved in the outbox in the same transaction,
so a second replica or a restart finds nothing left to claim, and a claimed
reminder is never lost: the relay publishes it (at least once).
"""

from datetime import timedelta

from sqlalchemy import select, update

from events.contracts import REGISTERED, SCHEDULED
from events.models import Event, Registration


def due(session, now, lead_minutes):
    """(registration id, event) pairs whose event starts within the lead time and were not reminded."""
    horizon = now + timedelta(minutes=lead_minutes)
    return session.execute(
        select(Registration.id, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(
            Registration.status == REGISTERED,
            Registration.reminded_at.is_(None),
            Event.status == SCHEDULED,
            Event.starts_at > now,
            Event.starts_at <= horizon,
        )
        .order_by(Event.starts_at)
    ).all()


def claim(session, registration_id, now):
    """Mark one registration reminded (the caller commits); True only for the one caller that changed it."""
    result = session.execute(
        update(Registration)
        .where(Registration.id == registration_id, Registration.reminded_at.is_(None))
        .values(reminded_at=now)
    )
    return result.rowcount == 1


def send_due(session, now, lead_minutes, publish):
    """Claim and publish every due reminder; returns how many were sent here."""
    sent = 0
    for registration_id, event in due(session, now, lead_minutes):
        user_id = session.scalar(select(Registration.user_id).where(Registration.id == registration_id))
        if claim(session, registration_id, now):
            publish(event, user_id, registration_id)
            sent += 1
        session.commit()
    return sent
