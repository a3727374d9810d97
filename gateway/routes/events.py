"""Routes of the events service."""

from gateway.routes.table import PUBLIC, Route
from gateway.schemas import events as s

ORGANISERS = frozenset({"instructor", "coach", "admin"})

ROUTES = [
    Route("GET", "/events", "events", "list_events", PUBLIC, query=s.EventQuery, summary="Upcoming or past events"),
    Route(
        "POST", "/events", "events", "create_event", ORGANISERS, body=s.EventBody, status=201, summary="Create an event"
    ),
    Route("GET", "/events/registrations/me", "events", "my_registrations", summary="My registrations"),
    Route(
        "POST",
        "/events/calendar/token",
        "events",
        "rotate_calendar_token",
        status=201,
        summary="Create or rotate my secret calendar feed URL",
    ),
    Route("DELETE", "/events/calendar/token", "events", "revoke_calendar_token", summary="Revoke my calendar feed URL"),
    Route(
        "GET",
        "/events/calendar/<token>.ics",
        "events",
        "calendar_feed",
        PUBLIC,
        file=True,
        summary="My events and coaching sessions as iCalendar (the secret URL is the credential)",
    ),
    Route("GET", "/events/<event_id>", "events", "get_event", PUBLIC, summary="One event"),
    Route(
        "PUT",
        "/events/<event_id>",
        "events",
        "update_event",
        ORGANISERS,
        body=s.EventUpdateBody,
        summary="Change an event (organiser or admin)",
    ),
    Route("DELETE", "/events/<event_id>", "events", "cancel_event", ORGANISERS, summary="Cancel an event"),
    Route("POST", "/events/<event_id>/register", "events", "register", summary="Register (or join the waitlist)"),
    Route("DELETE", "/events/<event_id>/register", "events", "unregister", summary="Cancel my registration"),
    Route(
        "GET",
        "/events/<event_id>/registrations",
        "events",
        "list_registrations",
        ORGANISERS,
        summary="Registrations, waitlist and attendance (organiser or admin)",
    ),
    Route(
        "POST",
        "/events/<event_id>/attendance",
        "events",
        "mark_attendance",
        ORGANISERS,
        body=s.AttendanceBody,
        summary="Check registered attendees in once the event has started (organiser or admin)",
    ),
    Route(
        "GET",
        "/events/<event_id>/calendar.ics",
        "events",
        "event_calendar",
        PUBLIC,
        file=True,
        summary="One event .ics",
    ),
]
