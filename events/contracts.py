"""events' contract: what its RPCs accept (validated by the gateway and the service alike) and answer."""

from marshmallow import Schema, fields, validate

from common.contracts import Contract
from common.fields import Record, Timestamps, UuidString, check_zone
from common.pagination import PageQuerySchema

ONLINE = "online"
IN_PERSON = "in_person"
KINDS = (ONLINE, IN_PERSON)

# An event is scheduled or cancelled; a registration is registered, waitlisted or cancelled (withdrawn).
SCHEDULED = "scheduled"
CANCELLED = "cancelled"
REGISTERED = "registered"
WAITLISTED = "waitlisted"

UPCOMING, PAST, ALL = "upcoming", "past", "all"

CAPACITY = validate.Range(min=1, max=100_000)
TITLE = validate.Length(min=1, max=300)


# -- what the RPCs accept ------------------------------------------------------


class EventSearch(Contract, PageQuerySchema):
    when = fields.String(load_default=UPCOMING, validate=validate.OneOf([UPCOMING, PAST, ALL]))
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    organiser_id = UuidString(load_default=None)


class EventChanges(Contract):
    """An event's fields, each optional: a change names only what changes."""

    title = fields.String(validate=TITLE)
    description = fields.String(validate=validate.Length(max=20_000), allow_none=True)
    kind = fields.String(validate=validate.OneOf(KINDS))
    join_url = fields.Url(schemes={"https", "http"}, allow_none=True, validate=validate.Length(max=2048))
    location = fields.String(validate=validate.Length(max=500), allow_none=True)
    timezone = fields.String(
        validate=[validate.Length(min=1, max=64), check_zone], metadata={"description": "IANA zone"}
    )
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    capacity = fields.Integer(validate=CAPACITY)
    registration_deadline = fields.AwareDateTime(allow_none=True)


class NewEvent(EventChanges):
    title = fields.String(required=True, validate=TITLE)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    timezone = fields.String(
        load_default="UTC", validate=[validate.Length(min=1, max=64), check_zone], metadata={"description": "IANA zone"}
    )
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = fields.Integer(required=True, validate=CAPACITY)


class RegistrationSearch(Contract, PageQuerySchema):
    """A page of an event's registrations in order of arrival, of one status or attendance if asked."""

    status = fields.String(load_default=None, validate=validate.OneOf([REGISTERED, WAITLISTED]))
    attended = fields.Boolean(load_default=None, metadata={"description": "true: checked in; false: not (yet)"})


class MyRegistrationSearch(Contract, PageQuerySchema):
    """A page of the caller's registrations (not withdrawn), by the event's start."""


class MarkAttendance(Contract):
    user_ids = fields.List(
        UuidString(),
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Registered attendees to check in (user ids; repeats and re-marks are no-ops)"},
    )


# -- what the RPCs answer (the ``data`` of the gateway's envelopes) -------------


class Event(Timestamps):
    organiser_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
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


class EventRegistration(Record):
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


class AttendanceMarked(Schema):
    event_id = fields.String(required=True)
    marked = fields.List(fields.String(), required=True)
    already_marked = fields.List(fields.String(), required=True)
    attended = fields.Integer(required=True)


class MyRegistration(Schema):
    registration = fields.Nested(EventRegistration, required=True)
    event = fields.Nested(Event, required=True)


class CalendarToken(Schema):
    token = fields.String(required=True)
    path = fields.String(required=True, metadata={"description": "the private .ics feed"})


class CalendarTokenRevoked(Schema):
    revoked = fields.Boolean(required=True)
