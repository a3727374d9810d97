"""What the training RPCs accept (marshmallow). Unknown fields are refused."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from common.pagination import PageQuerySchema

LESSON_TYPES = ("text", "video", "youtube")
VIDEO_TYPES = ("video", "youtube")
COURSE_STATUSES = ("draft", "published")
TAG = fields.String(validate=validate.Length(min=1, max=50))


class LessonSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(load_default="text", validate=validate.OneOf(LESSON_TYPES))
    content = fields.String(load_default="", validate=validate.Length(max=100_000))
    media_url = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))
    youtube_id = fields.String(allow_none=True, load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{6,20}$"))
    duration_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=24 * 3600))
    preview = fields.Boolean(load_default=False)
    required = fields.Boolean(load_default=True)


class LessonUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    type = fields.String(validate=validate.OneOf(LESSON_TYPES))
    content = fields.String(validate=validate.Length(max=100_000))
    media_url = fields.String(allow_none=True, validate=validate.Length(max=2000))
    youtube_id = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{6,20}$"))
    duration_seconds = fields.Integer(validate=validate.Range(min=0, max=24 * 3600))
    preview = fields.Boolean()
    required = fields.Boolean()


class ModuleSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    lessons = fields.List(fields.Nested(LessonSchema), load_default=list, validate=validate.Length(max=200))


class ModuleUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))


class CourseSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=20_000))
    tags = fields.List(TAG, load_default=list, validate=validate.Length(max=20))
    category = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    level = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(["beginner", "intermediate", "advanced"])
    )
    modules = fields.List(fields.Nested(ModuleSchema), load_default=list, validate=validate.Length(max=100))


class CourseUpdateSchema(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=20_000))
    tags = fields.List(TAG, validate=validate.Length(max=20))
    category = fields.String(allow_none=True, validate=validate.Length(max=100))
    level = fields.String(allow_none=True, validate=validate.OneOf(["beginner", "intermediate", "advanced"]))


class CourseQuerySchema(PageQuerySchema):
    q = fields.String(validate=validate.Length(min=1, max=200))
    tag = fields.String(validate=validate.Length(min=1, max=50))
    category = fields.String(validate=validate.Length(min=1, max=100))
    level = fields.String(validate=validate.OneOf(["beginner", "intermediate", "advanced"]))
    instructor_id = fields.String(validate=validate.Length(min=1, max=64))
    status = fields.String(validate=validate.OneOf(COURSE_STATUSES))
    mine = fields.Boolean(load_default=False)


class OrderSchema(Schema):
    ids = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True)


class PopularQuerySchema(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class AnalyticsQuerySchema(Schema):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))
    course_id = fields.String(validate=validate.Length(min=1, max=64))


HHMMSS = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$", error="A time of day as HH:MM:SS")


class WatchEventSchema(Schema):
    """Seed 003: play sends start_time; pause sends end_time and watchtime_seconds."""

    video_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    start_time = fields.String(validate=HHMMSS)
    end_time = fields.String(validate=HHMMSS)
    watchtime_seconds = fields.Integer(strict=True)

    @validates_schema
    def one_event(self, data, **kwargs):
        is_play = "start_time" in data
        is_pause = "end_time" in data or "watchtime_seconds" in data
        if is_play == is_pause:
            raise ValidationError("Send start_time (play) or end_time with watchtime_seconds (pause)", "_schema")


QUESTION_TYPES = ("single_choice", "multiple_choice", "true_false", "short_answer", "numeric")
SHOW_ANSWERS = ("never", "after_each_attempt", "after_last_attempt", "once_passed")


class OptionSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    correct = fields.Boolean(load_default=False)


class QuestionSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    points = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1000, min_inclusive=False))
    options = fields.List(fields.Nested(OptionSchema), validate=validate.Length(max=20))
    correct = fields.Boolean(metadata={"description": "true_false"})
    accepted_answers = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)), validate=validate.Length(max=20)
    )
    answer = fields.Float(allow_nan=False, metadata={"description": "numeric"})
    tolerance = fields.Float(load_default=0.0, validate=validate.Range(min=0))
    explanation = fields.String(load_default="", validate=validate.Length(max=5000))

    @validates_schema
    def complete_for_its_type(self, data, **kwargs):
        kind = data.get("type")
        if kind in ("single_choice", "multiple_choice"):
            options = data.get("options") or []
            right = sum(1 for option in options if option["correct"])
            if len(options) < 2:
                raise ValidationError("A choice question needs at least two options", "options")
            if right < 1 or (kind == "single_choice" and right != 1):
                raise ValidationError("Mark one correct option (single) or at least one (multiple)", "options")
        elif kind == "true_false" and "correct" not in data:
            raise ValidationError("A true/false question needs correct", "correct")
        elif kind == "short_answer" and not data.get("accepted_answers"):
            raise ValidationError("A short answer question needs accepted_answers", "accepted_answers")
        elif kind == "numeric" and "answer" not in data:
            raise ValidationError("A numeric question needs answer", "answer")


class AssessmentSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=200))
    passing_score = fields.Float(load_default=70.0, validate=validate.Range(min=0, max=100))
    max_attempts = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=100))
    wait_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=30 * 86400))
    scoring_policy = fields.String(load_default="highest", validate=validate.OneOf(["highest", "latest"]))
    time_limit_seconds = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=10, max=86400))
    overdue_policy = fields.String(load_default="refuse", validate=validate.OneOf(["refuse", "score"]))
    shuffle_questions = fields.Boolean(load_default=False)
    shuffle_options = fields.Boolean(load_default=False)
    show_answers = fields.String(load_default="after_last_attempt", validate=validate.OneOf(SHOW_ANSWERS))
    required = fields.Boolean(load_default=True)


class QuestionsSchema(Schema):
    questions = fields.List(fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1, max=200))


class AnswerSchema(Schema):
    question_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    answer = fields.Raw(allow_none=True, load_default=None)


class SubmitSchema(Schema):
    answers = fields.List(fields.Nested(AnswerSchema), required=True, validate=validate.Length(max=200))


class PlaylistImportSchema(Schema):
    playlist_url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    title = fields.String(validate=validate.Length(min=1, max=200))
    tags = fields.List(TAG, load_default=list, validate=validate.Length(max=20))
