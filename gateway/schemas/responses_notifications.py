"""What notifications answers: the ``data`` of its envelopes (documentation only)."""

from marshmallow import Schema, fields


class Notification(Schema):
    """A message; ``read`` and ``read_at`` for in-app ones only."""

    id = fields.String(required=True)
    event_type = fields.String(required=True, allow_none=True)
    category = fields.String(required=True, allow_none=True)
    channel = fields.String(required=True, allow_none=True)
    subject = fields.String(required=True, allow_none=True)
    text = fields.String(required=True, allow_none=True)
    course_id = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True, allow_none=True)
    read = fields.Boolean()
    read_at = fields.DateTime(allow_none=True)


class NotificationPage(Schema):
    items = fields.List(fields.Nested(Notification), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    unread = fields.Integer(required=True, metadata={"description": "all unread in-app messages of the caller"})


class DeliveryAttempt(Schema):
    at = fields.DateTime(required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True)
    status_code = fields.Integer(required=True, allow_none=True)


class Delivery(Notification):
    user_id = fields.String(required=True, allow_none=True)
    event_id = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, allow_none=True)
    frequency = fields.String(required=True, allow_none=True)
    attempt_count = fields.Integer(required=True)
    attempts = fields.List(fields.Nested(DeliveryAttempt), required=True)
    last_error = fields.String(required=True, allow_none=True)
    sent_at = fields.DateTime(required=True, allow_none=True)
    next_attempt_at = fields.DateTime(required=True, allow_none=True)


class MarkedAllRead(Schema):
    updated = fields.Integer(required=True)


class NotificationPreferences(Schema):
    categories = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.String()),
        required=True,
        metadata={"description": "category -> channel (email, in_app, sms, push) -> frequency"},
    )
    phone = fields.String(required=True, allow_none=True)
    push_endpoint = fields.String(required=True, allow_none=True)


class Announcement(Schema):
    announcement_id = fields.String(required=True)
    role = fields.String(required=True, allow_none=True)
    recipients = fields.Integer(required=True)
    status = fields.String(required=True)
