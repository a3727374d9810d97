"""What the engagement RPCs take."""

from datetime import UTC, date, datetime

from marshmallow import Schema, ValidationError, fields, validate, validates

from common.pagination import PageQuerySchema

TRACK_TYPES = ("page_view", "lesson_view", "video_play", "video_pause", "search", "click")
SHORT_ID = validate.Length(min=1, max=100)


class Moment(fields.String):
    """An ISO date or date-time; a bare date means its start (UTC)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("An ISO 8601 date or date-time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Day(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return date.fromisoformat(super()._deserialize(value, attr, data, **kwargs)[:10])
        except ValueError:
            raise ValidationError("An ISO 8601 date") from None


ActivityQuerySchema = PageQuerySchema.from_dict(
    {
        "user_id": fields.String(load_default=None, validate=validate.Length(max=36)),
        "type": fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z_]{3,50}$")),
        "from": Moment(load_default=None),
        "to": Moment(load_default=None),
    }
)

MetricsQuerySchema = Schema.from_dict({"from": Day(load_default=None), "to": Day(load_default=None)})


class TrackSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(TRACK_TYPES))
    path = fields.String(load_default=None, validate=validate.Length(max=500))
    course_id = fields.String(load_default=None, validate=SHORT_ID)
    lesson_id = fields.String(load_default=None, validate=SHORT_ID)
    properties = fields.Dict(keys=fields.String(validate=validate.Length(max=50)), load_default=dict)

    @validates("properties")
    def _small(self, value, **kwargs):
        if len(value) > 20 or len(repr(value)) > 2000:
            raise ValidationError("At most 20 properties and 2,000 characters")


class FeedbackSchema(Schema):
    target = fields.String(required=True, validate=validate.Length(max=120))
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class FeedbackQuerySchema(PageQuerySchema):
    target = fields.String(required=True, validate=validate.Length(max=120))


class LeaderboardQuerySchema(Schema):
    period = fields.String(load_default="all_time", validate=validate.OneOf(["week", "all_time"]))
    course_id = fields.String(load_default=None, validate=SHORT_ID)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
