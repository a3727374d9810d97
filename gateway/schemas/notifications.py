"""The HTTP contract of /notifications: bodies and query strings."""

from marshmallow import Schema, fields, validate

from common.pagination import PageQuerySchema

CATEGORY = validate.OneOf(
    ["security", "account", "learning", "coaching", "events", "achievements", "social", "announcements"]
)
CHANNEL = validate.OneOf(["email", "sms", "push", "in_app"])
FREQUENCY = validate.OneOf(["immediately", "daily", "weekly", "never"])
ROLE = validate.OneOf(["learner", "student", "instructor", "coach", "admin"])


class NotificationListQuery(PageQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread in-app messages"})


class NotificationPreferencesBody(Schema):
    categories = fields.Dict(
        keys=fields.String(validate=CATEGORY),
        values=fields.Dict(keys=fields.String(validate=CHANNEL), values=fields.String(validate=FREQUENCY)),
        metadata={"description": 'per category, per channel: e.g. {"learning": {"email": "daily"}}'},
    )
    phone = fields.String(allow_none=True, validate=validate.Length(max=20), metadata={"description": "E.164"})
    push_endpoint = fields.String(allow_none=True, validate=validate.Length(max=512))


class AnnouncementBody(Schema):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    role = fields.String(allow_none=True, validate=ROLE, metadata={"description": "absent: everyone"})


class DeliveryListQuery(PageQuerySchema):
    user_id = fields.String(validate=validate.Length(max=36))
    status = fields.String(validate=validate.OneOf(["pending", "sent", "failed", "queued", "digested", "delivered"]))
    channel = fields.String(validate=CHANNEL)
