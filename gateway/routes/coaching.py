"""Routes of the coaching service."""

from gateway.routes.table import AUTHENTICATED, Route
from gateway.schemas import coaching as s

COACH_ONLY = frozenset({"coach"})
COACH_OR_ADMIN = frozenset({"coach", "admin"})

ROUTES = [
    Route("GET", "/coaching/coaches", "coaching", "list_coaches", query=s.CoachQuery, summary="Find coaches"),
    Route(
        "PUT",
        "/coaching/coaches/me",
        "coaching",
        "update_my_coach_profile",
        COACH_ONLY,
        body=s.CoachProfileBody,
        summary="Create or change my coach profile",
    ),
    Route("GET", "/coaching/coaches/<coach_id>", "coaching", "get_coach", summary="One coach"),
    Route("GET", "/coaching/coaches/<coach_id>/availability", "coaching", "get_availability", summary="Weekly hours"),
    Route(
        "PUT",
        "/coaching/coaches/<coach_id>/availability",
        "coaching",
        "set_availability",
        COACH_OR_ADMIN,
        body=s.AvailabilityBody,
        summary="Replace weekly windows and dated exceptions (coach's time zone)",
    ),
    Route(
        "GET",
        "/coaching/coaches/<coach_id>/slots",
        "coaching",
        "list_slots",
        query=s.SlotQuery,
        summary="Bookable slots in UTC between from and to",
    ),
    Route(
        "POST",
        "/coaching/sessions",
        "coaching",
        "book_session",
        AUTHENTICATED,
        body=s.BookBody,
        status=201,
        summary="Book a slot",
    ),
    Route("GET", "/coaching/sessions", "coaching", "list_sessions", query=s.SessionQuery, summary="My sessions"),
    Route("GET", "/coaching/sessions/<session_id>", "coaching", "get_session", summary="One of my sessions"),
    Route(
        "POST",
        "/coaching/sessions/<session_id>/cancel",
        "coaching",
        "cancel_session",
        body=s.CancelBody,
        summary="Cancel (either side, with a reason)",
    ),
    Route(
        "POST",
        "/coaching/sessions/<session_id>/reschedule",
        "coaching",
        "reschedule_session",
        body=s.RescheduleBody,
        summary="Move to another free slot",
    ),
    Route(
        "POST",
        "/coaching/sessions/<session_id>/complete",
        "coaching",
        "complete_session",
        COACH_OR_ADMIN,
        summary="Mark completed (coach)",
    ),
    Route("GET", "/coaching/sessions/<session_id>/notes", "coaching", "list_notes", summary="Session notes"),
    Route(
        "POST",
        "/coaching/sessions/<session_id>/notes",
        "coaching",
        "add_note",
        COACH_ONLY,
        body=s.NoteBody,
        status=201,
        summary="Add a note (coach; private or shared)",
    ),
]
