"""The HTTP contract of /engagement and /admin/logs: bodies and query strings."""

from marshmallow import Schema, fields, validate

from common.pagination import PageQuerySchema

TRACK_TYPES = ("page_view", "lesson_view", "video_play", "video_pause", "search", "click")
TARGET = validate.Regexp(r"^(course|session|event):.{1,100}$", error="course:<id>, session:<id> or event:<id>")
ISO = validate.Length(min=10, max=40)

ActivityLogQuery = PageQuerySchema.from_dict(
    {
        "user_id": fields.String(validate=validate.Length(max=36)),
        "type": fields.String(validate=validate.Length(max=50), metadata={"description": "event type"}),
        "from": fields.String(validate=ISO, metadata={"description": "ISO date or date-time"}),
        "to": fields.String(validate=ISO, metadata={"description": "ISO date or date-time"}),
    },
    name="ActivityLogQuery",
)

MetricsQuery = Schema.from_dict(
    {"from": fields.String(validate=ISO), "to": fields.String(validate=ISO)}, name="MetricsQuery"
)


class TrackBody(Schema):
    type = fields.String(required=True, validate=validate.OneOf(TRACK_TYPES))
    path = fields.String(validate=validate.Length(max=500))
    course_id = fields.String(validate=validate.Length(min=1, max=100))
    lesson_id = fields.String(validate=validate.Length(min=1, max=100))
    properties = fields.Dict(keys=fields.String(validate=validate.Length(max=50)))


class FeedbackBody(Schema):
    target = fields.String(required=True, validate=TARGET)
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))


class FeedbackQuery(PageQuerySchema):
    target = fields.String(required=True, validate=TARGET)


class LeaderboardQuery(Schema):
    period = fields.String(validate=validate.OneOf(["week", "all_time"]))
    course_id = fields.String(validate=validate.Length(min=1, max=100))
    limit = fields.Integer(validate=validate.Range(min=1, max=100))
