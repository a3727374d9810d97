"""engagement's contract: what its RPCs accept (validated by the gateway and the service alike) and answer."""

from datetime import UTC, date, datetime

from marshmallow import Schema, ValidationError, fields, validate, validates

from common.contracts import Contract
from common.pagination import PageQuerySchema

TRACK_TYPES = ("page_view", "lesson_view", "video_play", "video_pause", "search", "click")
SHORT_ID = validate.Length(min=1, max=100)
TARGET = [
    validate.Length(max=120),
    validate.Regexp(r"^(course|session|event):.{1,100}$", error="course:<id>, session:<id> or event:<id>"),
]
MAX_MOMENT_LENGTH = 40


class Moment(fields.String):
    """An ISO date or date-time; a bare date means its start (UTC)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_MOMENT_LENGTH:
            raise ValidationError("An ISO 8601 date or date-time")
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError("An ISO 8601 date or date-time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Date(fields.String):
    """An ISO date (the date of a date-time), loaded as a ``date``."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_MOMENT_LENGTH:
            raise ValidationError("An ISO 8601 date")
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            raise ValidationError("An ISO 8601 date") from None


# -- what the RPCs accept ------------------------------------------------------


EVENT_TYPE = validate.Regexp(r"^[A-Z_]{3,50}$")


class ActivityQuery(Contract, PageQuerySchema):
    """The activity log's filters, each optional; ``type``, ``from`` and ``to`` are the older names of
    ``action``, ``since`` and ``until`` (giving both names of one filter with different values is a 400)."""

    user_id = fields.String(
        load_default=None, validate=validate.Length(max=36), metadata={"description": "who the event is about"}
    )
    actor_id = fields.String(
        load_default=None,
        validate=validate.Length(max=36),
        metadata={"description": "who did it: the signed-in caller whose request caused the event"},
    )
    action = fields.String(load_default=None, validate=EVENT_TYPE, metadata={"description": "event type"})
    type = fields.String(load_default=None, validate=EVENT_TYPE, metadata={"description": "event type (as action)"})
    target_type = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[a-z_]{1,30}$"),
        metadata={"description": "course, module, lesson, assessment, media, certificate, user, setting, ..."},
    )
    target_id = fields.String(load_default=None, validate=validate.Length(min=1, max=150))
    request_id = fields.String(
        load_default=None, validate=validate.Length(min=1, max=200), metadata={"description": "the X-Request-ID"}
    )
    since = Moment(load_default=None, metadata={"description": "ISO date or date-time (included)"})
    until = Moment(load_default=None, metadata={"description": "ISO date or date-time (included)"})
    from_ = Moment(data_key="from", load_default=None, metadata={"description": "as since"})
    to = Moment(load_default=None, metadata={"description": "as until"})
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "csv: the entries selected (newest first, at most 10,000) as a CSV file"},
    )


class MetricsQuery(Contract):
    since = Date(data_key="from", load_default=None)
    until = Date(data_key="to", load_default=None)


class Track(Contract):
    type = fields.String(required=True, validate=validate.OneOf(TRACK_TYPES))
    path = fields.String(load_default=None, validate=validate.Length(max=500))
    course_id = fields.String(load_default=None, validate=SHORT_ID)
    lesson_id = fields.String(load_default=None, validate=SHORT_ID)
    properties = fields.Dict(keys=fields.String(validate=validate.Length(max=50)), load_default=dict)

    @validates("properties")
    def _small(self, value, **kwargs):
        if len(value) > 20 or len(repr(value)) > 2000:
            raise ValidationError("At most 20 properties and 2,000 characters")


class GiveFeedback(Contract):
    target = fields.String(required=True, validate=TARGET)
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class FeedbackQuery(Contract, PageQuerySchema):
    target = fields.String(required=True, validate=TARGET)


class LeaderboardQuery(Contract):
    period = fields.String(load_default="all_time", validate=validate.OneOf(["week", "all_time"]))
    course_id = fields.String(load_default=None, validate=SHORT_ID)
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


# -- what the RPCs answer (the ``data`` of the gateway's envelopes) -------------


class ActivityTarget(Schema):
    type = fields.String(required=True)
    id = fields.String(required=True, allow_none=True)


class Activity(Schema):
    id = fields.String(required=True, metadata={"description": "the event's id"})
    event_type = fields.String(required=True)
    action = fields.String(required=True, metadata={"description": "what was done: the event type"})
    service = fields.String(required=True, allow_none=True)
    user_id = fields.String(required=True, allow_none=True, metadata={"description": "who the event is about"})
    actor_id = fields.String(
        required=True, allow_none=True, metadata={"description": "who did it (null: an operator, a timer, the system)"}
    )
    request_id = fields.String(
        required=True, allow_none=True, metadata={"description": "the X-Request-ID of the request that did it"}
    )
    course_id = fields.String(required=True, allow_none=True)
    target = fields.Nested(ActivityTarget, required=True, allow_none=True)
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        required=True,
        metadata={"description": 'field -> {"old", "new"}, or {"changed": true} for a long value'},
    )
    metadata = fields.Dict(required=True)
    timestamp = fields.DateTime(required=True, allow_none=True)


class MetricSeries(Schema):
    daily_active_users = fields.List(fields.Integer(), required=True)
    registrations = fields.List(fields.Integer(), required=True)
    enrollments = fields.List(fields.Integer(), required=True)
    completions = fields.List(fields.Integer(), required=True)
    sessions = fields.List(fields.Integer(), required=True)
    events = fields.List(fields.Integer(), required=True)


class Metrics(Schema):
    from_ = fields.String(data_key="from", required=True, metadata={"description": "YYYY-MM-DD"})
    to = fields.String(required=True)
    days = fields.List(fields.String(), required=True)
    series = fields.Nested(MetricSeries, required=True, metadata={"description": "one count per day of days"})


class Tracked(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True)
    recorded = fields.Boolean(required=True)


class PointsAward(Schema):
    action = fields.String(required=True)
    points = fields.Integer(required=True)
    course_id = fields.String(required=True, allow_none=True)
    at = fields.DateTime(required=True)


class Points(Schema):
    user_id = fields.String(required=True)
    total = fields.Integer(required=True)
    this_week = fields.Integer(required=True)
    recent = fields.List(fields.Nested(PointsAward), required=True)


class Badge(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)


class EarnedBadge(Badge):
    awarded_at = fields.DateTime(required=True)


class Badges(Schema):
    earned = fields.List(fields.Nested(EarnedBadge), required=True)
    available = fields.List(fields.Nested(Badge), required=True)


class LeaderboardRow(Schema):
    rank = fields.Integer(required=True)
    user_id = fields.String(required=True)
    name = fields.String(required=True, allow_none=True)
    points = fields.Integer(required=True)


class Leaderboard(Schema):
    period = fields.String(required=True)
    course_id = fields.String(required=True, allow_none=True)
    items = fields.List(fields.Nested(LeaderboardRow), required=True)


class Feedback(Schema):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    target = fields.String(required=True, metadata={"description": "course:<id>, session:<id> or event:<id>"})
    rating = fields.Integer(required=True)
    comment = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True, allow_none=True)


class FeedbackGiven(Feedback):
    created = fields.Boolean(required=True, metadata={"description": "false when it replaced the caller's earlier one"})


class FeedbackPage(Schema):
    items = fields.List(fields.Nested(Feedback), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)
    target = fields.String(required=True)
    average = fields.Float(required=True, allow_none=True)
