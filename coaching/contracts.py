"""coaching's contract: what its RPCs accept (validated by the gateway and the service alike) and answer."""

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates, validates_schema

from common.contracts import Contract
from common.fields import Record, Timestamps, UuidString, check_zone
from common.pagination import PageQuerySchema

BOOKED = "booked"
CANCELLED = "cancelled"
COMPLETED = "completed"
STATUSES = (BOOKED, CANCELLED, COMPLETED)

DAY_OFF = "off"
EXTRA_HOURS = "extra"

ROLES_IN_A_SESSION = ("learner", "coach")

# Where a session takes place: online (a meeting link) or in person (a location).
ONLINE = "online"
IN_PERSON = "in_person"
KINDS = (ONLINE, IN_PERSON)

TAGS = fields.List(fields.String(validate=validate.Length(min=1, max=60)), validate=validate.Length(max=30))


class Period(Contract):
    """``from`` and ``to`` in a query string; RPC callers, in Python, name them ``start`` and ``end``."""

    @pre_load
    def _python_names(self, data, **kwargs):
        data = dict(data)
        for name, key in (("start", "from"), ("end", "to")):
            if name in data:
                if key in data:
                    raise ValidationError(f"give {key} or {name}, not both", key)
                data[key] = data.pop(name)
        return data


# -- what the RPCs accept ------------------------------------------------------


class CoachSearch(Contract, PageQuerySchema):
    expertise = fields.String(load_default=None, validate=validate.Length(max=60))
    language = fields.String(load_default=None, validate=validate.Length(max=60))


class CoachProfileChanges(Contract):
    bio = fields.String(validate=validate.Length(max=5000), allow_none=True)
    expertise = TAGS
    languages = TAGS
    timezone = fields.String(
        validate=[validate.Length(min=1, max=64), check_zone], metadata={"description": "IANA zone"}
    )
    session_minutes = fields.Integer(validate=validate.Range(min=15, max=240))
    buffer_minutes = fields.Integer(validate=validate.Range(min=0, max=120))
    min_notice_minutes = fields.Integer(validate=validate.Range(min=0, max=60 * 24 * 14))
    price_cents = fields.Integer(validate=validate.Range(min=0, max=10_000_000))
    currency = fields.String(validate=validate.Regexp(r"^[A-Z]{3}$"))
    session_kind = fields.String(
        validate=validate.OneOf(KINDS), metadata={"description": "where new sessions take place (default online)"}
    )
    meeting_url = fields.Url(
        schemes={"https", "http"},
        allow_none=True,
        validate=validate.Length(max=2048),
        metadata={"description": "the coach's own meeting room for online sessions (else the configured template)"},
    )
    location = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "where in-person sessions take place (required for in_person)"},
    )


class WeeklyHours(Contract):
    weekday = fields.Integer(required=True, validate=validate.Range(min=0, max=6), metadata={"description": "0=Mon"})
    start = fields.Time(required=True)
    end = fields.Time(required=True)

    @validates_schema
    def _ordered(self, data, **kwargs):
        if data["start"] >= data["end"]:
            raise ValidationError("start must come before end", "end")


class DatedHours(Contract):
    date = fields.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf([DAY_OFF, EXTRA_HOURS]))
    start = fields.Time(load_default=None)
    end = fields.Time(load_default=None)

    @validates_schema
    def _hours(self, data, **kwargs):
        if data["kind"] == EXTRA_HOURS and not (data["start"] and data["end"] and data["start"] < data["end"]):
            raise ValidationError("extra hours need a start before an end", "end")


class NewAvailability(Contract):
    weekly = fields.List(fields.Nested(WeeklyHours), load_default=list, validate=validate.Length(max=100))
    exceptions = fields.List(fields.Nested(DatedHours), load_default=list, validate=validate.Length(max=500))


class SlotWindow(Period, PageQuerySchema):
    start = fields.AwareDateTime(required=True, data_key="from")
    end = fields.AwareDateTime(required=True, data_key="to")

    @validates_schema
    def _range(self, data, **kwargs):
        if data["end"] <= data["start"]:
            raise ValidationError("'to' must come after 'from'", "to")
        if (data["end"] - data["start"]).days > 62:
            raise ValidationError("at most 62 days at a time", "to")


class BookSession(Contract):
    coach_id = UuidString(required=True)
    start = fields.AwareDateTime(required=True)
    topic = fields.String(load_default=None, validate=validate.Length(max=500))


class RescheduleSession(Contract):
    start = fields.AwareDateTime(required=True)


class CancelSession(Contract):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SessionPlace(Contract):
    """Where one session takes place, given by its coach: online with a link, or in person at a location."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    meeting_url = fields.Url(
        schemes={"https", "http"},
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2048),
        metadata={"description": "online: the link (left out: the coach's room, else the configured template)"},
    )
    location = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "in_person: where"},
    )

    @validates_schema
    def _place(self, data, **kwargs):
        if data["kind"] == IN_PERSON and not data["location"]:
            raise ValidationError("an in-person session needs a location", "location")
        if data["kind"] == IN_PERSON and data["meeting_url"]:
            raise ValidationError("an in-person session has no meeting link", "meeting_url")
        if data["kind"] == ONLINE and data["location"]:
            raise ValidationError("an online session has no location", "location")


class SessionSearch(Period, PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    role = fields.String(load_default=None, validate=validate.OneOf(ROLES_IN_A_SESSION))
    start = fields.AwareDateTime(load_default=None, data_key="from")
    end = fields.AwareDateTime(load_default=None, data_key="to")


class NoteSearch(Contract, PageQuerySchema):
    """A page of a session's notes, oldest first."""


class AddNote(Contract):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    shared = fields.Boolean(
        load_default=False, metadata={"description": "shared with the learner (default: private to the coach)"}
    )

    @validates("body")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError("must not be blank")


# -- what the RPCs answer (the ``data`` of the gateway's envelopes) -------------


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
    session_kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    meeting_url = fields.String(
        required=True, allow_none=True, metadata={"description": "only for the coach themself and admins"}
    )
    location = fields.String(
        required=True, allow_none=True, metadata={"description": "only for the coach themself and admins"}
    )
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
    start = fields.DateTime(required=True, metadata={"description": "UTC"})
    end = fields.DateTime(required=True, metadata={"description": "UTC"})


class CoachingSession(Timestamps):
    coach_id = fields.String(required=True)
    learner_id = fields.String(required=True)
    start = fields.DateTime(required=True)
    end = fields.DateTime(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    topic = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    meeting_url = fields.String(
        required=True, allow_none=True, metadata={"description": "online: the link (sessions are their parties' only)"}
    )
    location = fields.String(required=True, allow_none=True, metadata={"description": "in person: where"})
    cancel_reason = fields.String(required=True, allow_none=True)
    cancelled_by = fields.String(required=True, allow_none=True)
    sequence = fields.Integer(required=True, metadata={"description": "iCalendar SEQUENCE: bumped on each change"})


class SessionNote(Record):
    session_id = fields.String(required=True)
    author_id = fields.String(required=True)
    body = fields.String(required=True)
    shared = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
