"""How events' records look on the wire (the answers of contracts.py) and in its published events."""

from common.clock import isoformat
from events.contracts import REGISTERED, WAITLISTED
from events.organising import is_organiser


def can_join(event, my_status, user_id, is_admin):
    """The join URL is for the organiser, admins and registered attendees (not those waiting)."""
    return is_organiser(event, user_id, is_admin) or my_status == REGISTERED


def event_view(event, registered_count, waitlist_count, show_join_url, my_status=None):
    return {
        "id": str(event.id),
        "organiser_id": str(event.organiser_id),
        "title": event.title,
        "description": event.description,
        "kind": event.kind,
        "join_url": event.join_url if show_join_url else None,
        "location": event.location,
        "timezone": event.timezone,
        "starts_at": isoformat(event.starts_at),
        "ends_at": isoformat(event.ends_at),
        "capacity": event.capacity,
        "registration_deadline": isoformat(event.registration_deadline),
        "status": event.status,
        "sequence": event.sequence,
        "registered": registered_count,
        "waitlisted": waitlist_count,
        "seats_left": max(event.capacity - registered_count, 0),
        "my_registration": my_status,
        "created_at": isoformat(event.created_at),
        "updated_at": isoformat(event.updated_at),
    }


def event_views(registrations, rows, user_id, is_admin):
    """The events as the caller sees them: seat counts, their own registration, the join URL if theirs."""
    ids = [row.id for row in rows]
    counts, mine = registrations.counts(ids), registrations.statuses_of(user_id, ids)
    return [
        event_view(
            row,
            counts.get((row.id, REGISTERED), 0),
            counts.get((row.id, WAITLISTED), 0),
            show_join_url=can_join(row, mine.get(row.id), user_id, is_admin),
            my_status=mine.get(row.id),
        )
        for row in rows
    ]


def registration_view(registration, waitlist_position=None):
    return {
        "id": str(registration.id),
        "event_id": str(registration.event_id),
        "user_id": str(registration.user_id),
        "status": registration.status,
        "position": registration.position,
        "waitlist_position": waitlist_position,
        "registered_at": isoformat(registration.registered_at),
        "promoted_at": isoformat(registration.promoted_at),
        "reminded_at": isoformat(registration.reminded_at),
        "attended_at": isoformat(registration.attended_at),
        "attended_by": str(registration.attended_by) if registration.attended_by else None,
    }


def placed_registration_view(registrations, registration):
    """The registration with its place in the waitlist, if it waits."""
    waiting = registration.status == WAITLISTED
    return registration_view(registration, registrations.waitlist_position(registration) if waiting else None)


def my_registration_views(registrations, rows, user_id, is_admin):
    return [
        {
            "registration": placed_registration_view(registrations, registration),
            "event": event_views(registrations, [event], user_id, is_admin)[0],
        }
        for registration, event in rows
    ]


def registration_views(registrations, rows):
    """Registrations in order of arrival, each waiting one with its place in the waitlist (1 = next in)."""
    waiting = [row for row in rows if row.status == WAITLISTED]
    # Waiting rows of a page are consecutive in the waitlist (no filter splits them: only registered ones attend).
    first = registrations.waitlist_position(waiting[0]) if waiting else None
    places = {row.id: first + index for index, row in enumerate(waiting)}
    return [registration_view(row, places.get(row.id)) for row in rows]


def attendance_view(event, newly, already, attended):
    return {
        "event_id": str(event.id),
        "marked": [str(row.user_id) for row in newly],
        "already_marked": [str(row.user_id) for row in already],
        "attended": attended,
    }


def event_about(event):
    """The metadata every published event of this service carries (docs/coaching-and-events.md)."""
    return {
        "event_id": str(event.id),
        "title": event.title,
        "starts_at": isoformat(event.starts_at),
        "ends_at": isoformat(event.ends_at),
        "organiser_id": str(event.organiser_id),
    }
