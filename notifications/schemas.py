"""What the notifications RPCs take."""

from marshmallow import Schema, fields, validate

from common.pagination import PageQuerySchema
from common.roles import ROLES
from notifications.preferences import CHANNELS, FREQUENCIES
from notifications.templates import CATEGORIES

PHONE = validate.Regexp(r"^\+[1-9]\d{6,14}$", error="A phone number in E.164 form, like +15551234567")
ENDPOINT_ARN = validate.Regexp(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint/.+$", error="An SNS endpoint ARN")
UUID_TEXT = validate.Regexp(r"^[0-9a-fA-F-]{32,36}$", error="Not a valid id")
STATUSES = ("pending", "sent", "failed", "queued", "digested", "delivered")


class ListSchema(PageQuerySchema):
    unread = fields.Boolean(load_default=False)


class PreferencesSchema(Schema):
    categories = fields.Dict(
        keys=fields.String(validate=validate.OneOf(CATEGORIES)),
        values=fields.Dict(
            keys=fields.String(validate=validate.OneOf(CHANNELS)),
            values=fields.String(validate=validate.OneOf(FREQUENCIES)),
        ),
    )
    phone = fields.String(allow_none=True, validate=PHONE)
    push_endpoint = fields.String(allow_none=True, validate=[validate.Length(max=512), ENDPOINT_ARN])


class AnnouncementSchema(Schema):
    subject = fields.String(required=True, validate=validate.Length(min=1, max=200))
    text = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf([*ROLES, "student"]))


class DeliveriesSchema(PageQuerySchema):
    user_id = fields.String(load_default=None, validate=UUID_TEXT)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    channel = fields.String(load_default=None, validate=validate.OneOf(CHANNELS))
