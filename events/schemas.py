"""What events' RPCs accept, and how its records look on the wire."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validate

from common.clock import isoformat
from common.pagination import PageQuerySchema
from events.models import IN_PERSON, ONLINE


def check_zone(value):
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("Not a known IANA time zone") from None


class EventFieldsSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=300))
    description = fields.String(validate=validate.Length(max=20_000), allow_none=True)
    kind = fields.String(validate=validate.OneOf([ONLINE, IN_PERSON]))
    join_url = fields.Url(schemes={"https", "http"}, allow_none=True)
    location = fields.String(validate=validate.Length(max=500), allow_none=True)
    timezone = fields.String(validate=check_zone)
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    capacity = fields.Integer(validate=validate.Range(min=1, max=100_000))
    registration_deadline = fields.AwareDateTime(allow_none=True)


class CreateEventSchema(EventFieldsSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    kind = fields.String(required=True, validate=validate.OneOf([ONLINE, IN_PERSON]))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=100_000))
    timezone = fields.String(load_default="UTC", validate=check_zone)


class AttendanceSchema(Schema):
    user_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=1000))


def check_event(merged):
    """Rules across fields, on the event as it will be after a create or update."""
    if merged["ends_at"] <= merged["starts_at"]:
        raise_field("ends_at", "must come after starts_at")
    if merged.get("registration_deadline") and merged["registration_deadline"] > merged["starts_at"]:
        raise_field("registration_deadline", "must not be after the start")
    if merged["kind"] == ONLINE and not merged.get("join_url"):
        raise_field("join_url", "an online event needs a join URL")
    if merged["kind"] == IN_PERSON and not merged.get("location"):
        raise_field("location", "an in-person event needs a location")


def raise_field(name, message):
    from common.exceptions import ValidationError as DomainValidationError

    raise DomainValidationError("The request is not valid", {"fields": {name: [message]}})


class EventListSchema(PageQuerySchema):
    when = fields.String(load_default="upcoming", validate=validate.OneOf(["upcoming", "past", "all"]))
    kind = fields.String(load_default=None, validate=validate.OneOf([ONLINE, IN_PERSON]))
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    organiser_id = fields.UUID(load_default=None)


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
