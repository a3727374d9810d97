"""What events answers: the ``data`` of its envelopes (documentation only)."""

from marshmallow import Schema, fields


class Event(Schema):
    id = fields.String(required=True)
    organiser_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, metadata={"enum": ["online", "in_person"]})
    join_url = fields.String(
        required=True, allow_none=True, metadata={"description": "only for registered attendees and organisers"}
    )
    location = fields.String(required=True, allow_none=True)
    timezone = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    capacity = fields.Integer(required=True)
    registration_deadline = fields.DateTime(required=True, allow_none=True)
    status = fields.String(required=True)
    sequence = fields.Integer(required=True)
    registered = fields.Integer(required=True)
    waitlisted = fields.Integer(required=True)
    seats_left = fields.Integer(required=True)
    my_registration = fields.String(
        required=True, allow_none=True, metadata={"description": "the caller's registration status, if any"}
    )
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class EventRegistration(Schema):
    id = fields.String(required=True)
    event_id = fields.String(required=True)
    user_id = fields.String(required=True)
    status = fields.String(required=True)
    position = fields.Integer(required=True)
    waitlist_position = fields.Integer(required=True, allow_none=True)
    registered_at = fields.DateTime(required=True)
    promoted_at = fields.DateTime(required=True, allow_none=True)
    reminded_at = fields.DateTime(required=True, allow_none=True)
    attended_at = fields.DateTime(required=True, allow_none=True)
    attended_by = fields.String(required=True, allow_none=True)


class Unregistered(Schema):
    registration = fields.Nested(EventRegistration, required=True)
    promoted = fields.List(fields.String(), required=True, metadata={"description": "user ids moved off the waitlist"})


class RegistrationList(Schema):
    event_id = fields.String(required=True)
    capacity = fields.Integer(required=True)
    attended = fields.Integer(required=True)
    registered = fields.List(fields.Nested(EventRegistration), required=True)
    waitlist = fields.List(fields.Nested(EventRegistration), required=True)


class AttendanceMarked(Schema):
    event_id = fields.String(required=True)
    marked = fields.List(fields.String(), required=True)
    already_marked = fields.List(fields.String(), required=True)
    attended = fields.Integer(required=True)


class MyRegistration(Schema):
    registration = fields.Nested(EventRegistration, required=True)
    event = fields.Nested(Event, required=True)


class MyRegistrations(Schema):
    items = fields.List(fields.Nested(MyRegistration), required=True)


class CalendarToken(Schema):
    token = fields.String(required=True)
    path = fields.String(required=True, metadata={"description": "the private .ics feed"})


class CalendarTokenRevoked(Schema):
    revoked = fields.Boolean(required=True)
