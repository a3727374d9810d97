"""What engagement answers: the ``data`` of its envelopes (documentation only)."""

from marshmallow import Schema, fields


class ActivityTarget(Schema):
    type = fields.String(required=True)
    id = fields.String(required=True, allow_none=True)


class Activity(Schema):
    id = fields.String(required=True)
    event_type = fields.String(required=True)
    service = fields.String(required=True, allow_none=True)
    user_id = fields.String(required=True, allow_none=True)
    course_id = fields.String(required=True, allow_none=True)
    target = fields.Nested(ActivityTarget, required=True, allow_none=True)
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
