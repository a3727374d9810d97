"""notifications' contract: what its RPCs accept (validated by the gateway and the service alike) and answer.

The categories, channels, frequencies and statuses are defined here, once: templates, preferences and the
outbox import them.
"""

from marshmallow import Schema, fields, validate

from common.contracts import Contract
from common.pagination import PageQuerySchema
from common.roles import ROLES

# Categories of messages (each template has one; preferences are per category).
SECURITY = "security"
ACCOUNT = "account"
LEARNING = "learning"
COACHING = "coaching"
EVENTS = "events"
ACHIEVEMENTS = "achievements"
SOCIAL = "social"
ANNOUNCEMENTS = "announcements"
CATEGORIES = (SECURITY, ACCOUNT, LEARNING, COACHING, EVENTS, ACHIEVEMENTS, SOCIAL, ANNOUNCEMENTS)

# Channels, and how often each carries a category.
EMAIL = "email"
SMS = "sms"
PUSH = "push"
IN_APP = "in_app"
CHANNELS = (EMAIL, SMS, PUSH, IN_APP)

IMMEDIATELY = "immediately"
DAILY = "daily"
WEEKLY = "weekly"
NEVER = "never"
FREQUENCIES = (IMMEDIATELY, DAILY, WEEKLY, NEVER)

# A message's status.
PENDING = "pending"  # waiting to be sent (first time or again)
SENT = "sent"
FAILED = "failed"  # failed for good; kept with its error
QUEUED = "queued"  # waiting for its digest
DIGESTED = "digested"  # went out inside a digest
DELIVERED = "delivered"  # in-app: stored is delivered
STATUSES = (PENDING, SENT, FAILED, QUEUED, DIGESTED, DELIVERED)

PHONE = validate.Regexp(r"^\+[1-9]\d{6,14}$", error="A phone number in E.164 form, like +15551234567")
ENDPOINT_ARN = validate.Regexp(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint/.+$", error="An SNS endpoint ARN")
UUID_TEXT = validate.Regexp(r"^[0-9a-fA-F-]{32,36}$", error="Not a valid id")


# -- what the RPCs accept ------------------------------------------------------


class NotificationQuery(Contract, PageQuerySchema):
    unread = fields.Boolean(load_default=False, metadata={"description": "only unread in-app messages"})


class NotificationPreferenceChanges(Contract):
    """Only what changes: per category, per channel, a frequency; the phone and push endpoint."""

    categories = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(CHANNELS)),
            values=fields.String(validate=validate.OneOf(FREQUENCIES)),
        ),
        metadata={"description": 'per category, per channel: e.g. {"learning": {"email": "daily"}}'},
    )
    phone = fields.String(allow_none=True, validate=PHONE, metadata={"description": "E.164"})
    push_endpoint = fields.String(allow_none=True, validate=[validate.Length(max=512), ENDPOINT_ARN])


class NewAnnouncement(Contract):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    role = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([*ROLES, "student"]),
        metadata={"description": "absent: everyone"},
    )


class DeliveryQuery(Contract, PageQuerySchema):
    user_id = fields.String(load_default=None, validate=UUID_TEXT)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))


# -- what the RPCs answer (the ``data`` of the gateway's envelopes) -------------


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


# -- one-click unsubscribe (notifications/unsubscribe.py) -----------------------------


class UnsubscribeToken(Contract):
    """The signed token of an email's unsubscribe link: it names the person and the category."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class UnsubscribeLink(Schema):
    category = fields.String(required=True, metadata={"description": "the category whose email the link turns off"})
    channel = fields.String(required=True, metadata={"enum": ["email"]})
    token = fields.String(required=True)


class Unsubscribed(Schema):
    category = fields.String(required=True)
    channel = fields.String(required=True, metadata={"enum": ["email"]})
    unsubscribed = fields.Boolean(required=True)
