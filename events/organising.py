"""Organising events: who may change one, the rules across its fields, creating, changing and cancelling it."""

from common.clock import as_utc
from common.exceptions import Conflict, Forbidden, ValidationError
from events import registrations
from events.contracts import CANCELLED, IN_PERSON, ONLINE, SCHEDULED, NewEvent
from events.models import Event

FIELDS = tuple(NewEvent().fields)
TIME_FIELDS = ("starts_at", "ends_at", "registration_deadline")
# When, where or how to join: a change of these is told to everyone registered or waiting.
ATTENDEE_FIELDS = {"title", "kind", "join_url", "location", "timezone", "starts_at", "ends_at"}


def is_organiser(event, user_id, is_admin):
    return is_admin or user_id == str(event.organiser_id)


def require_organiser(event, user_id, is_admin):
    if not is_organiser(event, user_id, is_admin):
        raise Forbidden("Only the organiser or an admin may do this")


def _invalid(name, message):
    raise ValidationError("The request is not valid", {"fields": {name: [message]}})


def check_event(merged):
    """Rules across fields, on the event as it will be after a create or update."""
    if merged["ends_at"] <= merged["starts_at"]:
        _invalid("ends_at", "must come after starts_at")
    if merged.get("registration_deadline") and merged["registration_deadline"] > merged["starts_at"]:
        _invalid("registration_deadline", "must not be after the start")
    if merged["kind"] == ONLINE and not merged.get("join_url"):
        _invalid("join_url", "an online event needs a join URL")
    if merged["kind"] == IN_PERSON and not merged.get("location"):
        _invalid("location", "an in-person event needs a location")


def create(events, organiser_id, details):
    check_event(details)
    return events.add(Event(organiser_id=organiser_id, status=SCHEDULED, sequence=0, **details))


def _same(field, stored, sent):
    if field in TIME_FIELDS and stored is not None and sent is not None:
        return as_utc(stored) == as_utc(sent)
    return stored == sent


def update(session, event, changes, now):
    """Apply ``changes`` to ``event`` (locked): the fields that really changed and the registrations promoted
    by a larger capacity. Nothing changed: the transaction ends, letting the event's row lock go."""
    if event.status == CANCELLED:
        raise Conflict("A cancelled event cannot change")
    merged = {name: getattr(event, name) for name in FIELDS} | changes
    for key in TIME_FIELDS:
        merged[key] = as_utc(merged[key])
    check_event(merged)
    # A form sent back whole changes only what differs: the rest must not bump SEQUENCE nor tell anyone.
    changed = {key: value for key, value in changes.items() if not _same(key, getattr(event, key), value)}
    if not changed:
        session.rollback()
        return [], []
    for key, value in changed.items():
        setattr(event, key, value)
    event.sequence += 1
    return sorted(changed), registrations.promote(session, event, now)


def cancel(event):
    if event.status == CANCELLED:
        raise Conflict("The event is already cancelled")
    event.status = CANCELLED
    event.sequence += 1
