"""What coaching's RPCs accept, and how its records look on the wire."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates, validates_schema

from coaching.models import DAY_OFF, EXTRA_HOURS, STATUSES
from common.clock import isoformat
from common.pagination import PageQuerySchema

TAGS = fields.List(fields.String(validate=validate.Length(min=1, max=60)), validate=validate.Length(max=30))


def check_zone(value):
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("Not a known IANA time zone") from None


class ProfileSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    bio = fields.String(validate=validate.Length(max=5000), allow_none=True)
    expertise = TAGS
    languages = TAGS
    timezone = fields.String(validate=check_zone)
    session_minutes = fields.Integer(validate=validate.Range(min=15, max=240))
    buffer_minutes = fields.Integer(validate=validate.Range(min=0, max=120))
    min_notice_minutes = fields.Integer(validate=validate.Range(min=0, max=60 * 24 * 14))
    price_cents = fields.Integer(validate=validate.Range(min=0, max=10_000_000))
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))


class CoachListSchema(PageQuerySchema):
    expertise = fields.String(load_default=None, validate=validate.Length(max=60))
    language = fields.String(load_default=None, validate=validate.Length(max=60))


class WindowSchema(Schema):
    weekday = fields.Integer(required=True, validate=validate.Range(min=0, max=6))
    start = fields.Time(required=True)
    end = fields.Time(required=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["start"] >= data["end"]:
            raise ValidationError("start must come before end", "end")


class ExceptionSchema(Schema):
    date = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([DAY_OFF, EXTRA_HOURS]))
    start = fields.Time(load_default=None)
    end = fields.Time(load_default=None)

    @validates_schema
    def _hours(self, data, **kwargs):
        if data["kind"] == EXTRA_HOURS and not (data["start"] and data["end"] and data["start"] < data["end"]):
            raise ValidationError("extra hours need a start before an end", "end")


class AvailabilitySchema(Schema):
    weekly = fields.List(fields.Nested(WindowSchema), load_default=list, validate=validate.Length(max=100))
    exceptions = fields.List(fields.Nested(ExceptionSchema), load_default=list, validate=validate.Length(max=500))


class RangeSchema(Schema):
    start = fields.AwareDateTime(required=True)
    end = fields.AwareDateTime(required=True)

    @validates_schema
    def _range(self, data, **kwargs):
        if data["end"] <= data["start"]:
            raise ValidationError("'to' must come after 'from'", "end")
        if (data["end"] - data["start"]).days > 62:
            raise ValidationError("at most 62 days at a time", "end")


class BookSchema(Schema):
    coach_id = fields.UUID(required=True)
    start = fields.AwareDateTime(required=True)
    topic = fields.String(load_default=None, validate=validate.Length(max=500))


class RescheduleSchema(Schema):
    start = fields.AwareDateTime(required=True)


class CancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SessionListSchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    role = fields.String(load_default=None, validate=validate.OneOf(["learner", "coach"]))
    start = fields.AwareDateTime(load_default=None)
    end = fields.AwareDateTime(load_default=None)


class NoteSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    shared = fields.Boolean(load_default=False)

    @validates("body")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("must not be blank")


def profile_view(profile):
    return {
        "id": str(profile.user_id),
        "user_id": str(profile.user_id),
        "name": profile.name,
        "bio": profile.bio,
        "expertise": list(profile.expertise or []),
        "languages": list(profile.languages or []),
        "timezone": profile.timezone,
        "session_minutes": profile.session_minutes,
        "buffer_minutes": profile.buffer_minutes,
        "min_notice_minutes": profile.min_notice_minutes,
        "price_cents": profile.price_cents,
        "currency": profile.currency,
        "updated_at": isoformat(profile.updated_at),
    }


def availability_view(profile, weekly, exceptions):
    return {
        "coach_id": str(profile.user_id),
        "timezone": profile.timezone,
        "weekly": [
            {"weekday": w.weekday, "start": w.start_time.strftime("%H:%M"), "end": w.end_time.strftime("%H:%M")}
            for w in sorted(weekly, key=lambda w: (w.weekday, w.start_time))
        ],
        "exceptions": [
            {
                "date": e.day.isoformat(),
                "kind": e.kind,
                "start": e.start_time.strftime("%H:%M") if e.start_time else None,
                "end": e.end_time.strftime("%H:%M") if e.end_time else None,
            }
            for e in sorted(exceptions, key=lambda e: (e.day, e.kind))
        ],
    }


def session_title(item):
    """How a session is named to people (notifications, calendars): "Coaching session[: topic]"."""
    return "Coaching session" + (f": {item.topic}" if item.topic else "")


def session_view(item):
    return {
        "id": str(item.id),
        "coach_id": str(item.coach_id),
        "learner_id": str(item.learner_id),
        "start": isoformat(item.start_at),
        "end": isoformat(item.end_at),
        "status": item.status,
        "topic": item.topic,
        "cancel_reason": item.cancel_reason,
        "cancelled_by": str(item.cancelled_by) if item.cancelled_by else None,
        "sequence": item.sequence,
        "created_at": isoformat(item.created_at),
        "updated_at": isoformat(item.updated_at),
    }


def note_view(note):
    return {
        "id": str(note.id),
        "session_id": str(note.session_id),
        "author_id": str(note.author_id),
        "body": note.body,
        "shared": note.shared,
        "created_at": isoformat(note.created_at),
    }
