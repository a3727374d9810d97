"""What coaching answers: the ``data`` of its envelopes (documentation only)."""

from marshmallow import Schema, fields


class Coach(Schema):
    id = fields.String(required=True, metadata={"description": "the coach's user id"})
    user_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    bio = fields.String(required=True, allow_none=True)
    expertise = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    timezone = fields.String(required=True)
    session_minutes = fields.Integer(required=True)
    buffer_minutes = fields.Integer(required=True)
    min_notice_minutes = fields.Integer(required=True)
    price_cents = fields.Integer(required=True)
    currency = fields.String(required=True)
    updated_at = fields.DateTime(required=True)


class WeeklyWindow(Schema):
    weekday = fields.Integer(required=True, metadata={"description": "0 = Monday"})
    start = fields.String(required=True, metadata={"description": "HH:MM, coach's time zone"})
    end = fields.String(required=True)


class AvailabilityException(Schema):
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    kind = fields.String(required=True)
    start = fields.String(required=True, allow_none=True)
    end = fields.String(required=True, allow_none=True)


class Availability(Schema):
    coach_id = fields.String(required=True)
    timezone = fields.String(required=True)
    weekly = fields.List(fields.Nested(WeeklyWindow), required=True)
    exceptions = fields.List(fields.Nested(AvailabilityException), required=True)


class Slot(Schema):
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)


class Slots(Schema):
    coach_id = fields.String(required=True)
    timezone = fields.String(required=True)
    slots = fields.List(fields.Nested(Slot), required=True, metadata={"description": "UTC"})


class CoachingSession(Schema):
    id = fields.String(required=True)
    coach_id = fields.String(required=True)
    learner_id = fields.String(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    status = fields.String(required=True, metadata={"enum": ["booked", "cancelled", "completed"]})
    topic = fields.String(required=True, allow_none=True)
    cancel_reason = fields.String(required=True, allow_none=True)
    cancelled_by = fields.String(required=True, allow_none=True)
    sequence = fields.Integer(required=True, metadata={"description": "iCalendar SEQUENCE: bumped on each change"})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class SessionNote(Schema):
    id = fields.String(required=True)
    session_id = fields.String(required=True)
    author_id = fields.String(required=True)
    body = fields.String(required=True)
    shared = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)


class SessionNotes(Schema):
    items = fields.List(fields.Nested(SessionNote), required=True)
