"""The HTTP contract of coaching: bodies and query strings (dates and ids stay text to cross RPC as JSON)."""

from datetime import date, datetime, time

from marshmallow import Schema, ValidationError, fields, validate

from common.pagination import PageQuerySchema
from gateway.schemas.core import UuidString


def _check(parser, message):
    def check(value):
        try:
            parsed = parser(value)
        except ValueError:
            raise ValidationError(message) from None
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise ValidationError("Give a time zone offset (for example Z)")

    return check


def Instant(**kwargs):
    """An ISO 8601 date-time with an offset, kept as text."""
    return fields.String(
        validate=_check(lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")), "An ISO 8601 date-time"), **kwargs
    )


def WallTime(**kwargs):
    return fields.String(validate=_check(time.fromisoformat, "A time of day, HH:MM"), **kwargs)


def Day(**kwargs):
    return fields.String(validate=_check(date.fromisoformat, "A date, YYYY-MM-DD"), **kwargs)


TAGS = fields.List(fields.String(validate=validate.Length(min=1, max=60)), validate=validate.Length(max=30))


class CoachQuery(PageQuerySchema):
    expertise = fields.String(validate=validate.Length(max=60))
    language = fields.String(validate=validate.Length(max=60))


class CoachProfileBody(Schema):
    bio = fields.String(validate=validate.Length(max=5000), allow_none=True)
    expertise = TAGS
    languages = TAGS
    timezone = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "IANA zone"})
    session_minutes = fields.Integer(validate=validate.Range(min=15, max=240))
    buffer_minutes = fields.Integer(validate=validate.Range(min=0, max=120))
    min_notice_minutes = fields.Integer(validate=validate.Range(min=0, max=60 * 24 * 14))
    price_cents = fields.Integer(validate=validate.Range(min=0, max=10_000_000))
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))


class WindowBody(Schema):
    weekday = fields.Integer(required=True, validate=validate.Range(min=0, max=6), metadata={"description": "0=Mon"})
    start = WallTime(required=True)
    end = WallTime(required=True)


class ExceptionBody(Schema):
    date = Day(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["off", "extra"]))
    start = WallTime(allow_none=True)
    end = WallTime(allow_none=True)


class AvailabilityBody(Schema):
    weekly = fields.List(fields.Nested(WindowBody), validate=validate.Length(max=100))
    exceptions = fields.List(fields.Nested(ExceptionBody), validate=validate.Length(max=500))


class SlotQuery(Schema):
    start = Instant(required=True, data_key="from")
    end = Instant(required=True, data_key="to")


class BookBody(Schema):
    coach_id = UuidString(required=True)
    start = Instant(required=True)
    topic = fields.String(validate=validate.Length(max=500), allow_none=True)


class SessionQuery(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(["booked", "cancelled", "completed"]))
    role = fields.String(validate=validate.OneOf(["learner", "coach"]))
    start = Instant(data_key="from")
    end = Instant(data_key="to")


class CancelBody(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RescheduleBody(Schema):
    start = Instant(required=True)


class NoteBody(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    shared = fields.Boolean(metadata={"description": "shared with the learner (default: private to the coach)"})
