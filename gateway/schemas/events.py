"""The HTTP contract of events: bodies and query strings (dates and ids stay text to cross RPC as JSON)."""

from marshmallow import Schema, fields, validate

from common.fields import Instant
from common.pagination import PageQuerySchema
from gateway.schemas.core import UuidString


class EventQuery(PageQuerySchema):
    when = fields.String(validate=validate.OneOf(["upcoming", "past", "all"]))
    kind = fields.String(validate=validate.OneOf(["online", "in_person"]))
    q = fields.String(validate=validate.Length(max=200))
    organiser_id = UuidString()


class EventUpdateBody(Schema):
    title = fields.String(validate=validate.Length(min=1, max=300))
    description = fields.String(validate=validate.Length(max=20_000), allow_none=True)
    kind = fields.String(validate=validate.OneOf(["online", "in_person"]))
    join_url = fields.String(validate=validate.Length(max=2048), allow_none=True)
    location = fields.String(validate=validate.Length(max=500), allow_none=True)
    timezone = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "IANA zone"})
    starts_at = Instant()
    ends_at = Instant()
    capacity = fields.Integer(validate=validate.Range(min=1, max=100_000))
    registration_deadline = Instant(allow_none=True)


class EventBody(EventUpdateBody):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(required=True, validate=validate.OneOf(["online", "in_person"]))
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=100_000))


class AttendanceBody(Schema):
    user_ids = fields.List(
        UuidString(),
        required=True,
        validate=validate.Length(min=1, max=1000),
        metadata={"description": "Registered attendees to check in (user ids; repeats and re-marks are no-ops)"},
    )
