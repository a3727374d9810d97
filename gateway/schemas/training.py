"""The HTTP contract of the training service: bodies and query strings.

Unknown fields are refused, so keys such as ``$gt`` or ``a.b`` never reach
MongoDB from here; the service checks again (common.validation).
"""

from marshmallow import Schema, fields, validate

from common.pagination import PageQuerySchema

ID = validate.Length(min=1, max=64)
LEVEL = validate.OneOf(["beginner", "intermediate", "advanced"])
LESSON_TYPE = validate.OneOf(["text", "video", "youtube"])
YOUTUBE_ID = validate.Regexp(r"^[A-Za-z0-9_-]{6,20}$", error="A YouTube video id")
HHMMSS = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$", error="A time of day as HH:MM:SS")
DATE = validate.Regexp(r"^\d{4}-\d{2}-\d{2}$", error="A date as YYYY-MM-DD")


# -- courses, modules, lessons ---------------------------------------------------


class LessonBody(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(validate=LESSON_TYPE)
    content = fields.String(validate=validate.Length(max=100_000))
    media_url = fields.String(allow_none=True, validate=validate.Length(max=2000))
    youtube_id = fields.String(allow_none=True, validate=YOUTUBE_ID)
    duration_seconds = fields.Integer(validate=validate.Range(min=0, max=24 * 3600))
    preview = fields.Boolean(metadata={"description": "shown to everyone, enrolled or not"})
    required = fields.Boolean(metadata={"description": "needed to complete the course (default true)"})


class LessonUpdateBody(LessonBody):
    title = fields.String(validate=validate.Length(min=1, max=200))


class ModuleBody(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    lessons = fields.List(fields.Nested(LessonBody), validate=validate.Length(max=200))


class ModuleUpdateBody(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))


class CourseBody(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=20_000))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20))
    category = fields.String(allow_none=True, validate=validate.Length(max=100))
    level = fields.String(allow_none=True, validate=LEVEL)
    modules = fields.List(fields.Nested(ModuleBody), validate=validate.Length(max=100))


class CourseUpdateBody(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=20_000))
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20))
    category = fields.String(allow_none=True, validate=validate.Length(max=100))
    level = fields.String(allow_none=True, validate=LEVEL)


class CourseQuery(PageQuerySchema):
    q = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "text in title or description"}
    )
    tag = fields.String(validate=validate.Length(min=1, max=50))
    category = fields.String(validate=validate.Length(min=1, max=100))
    level = fields.String(validate=LEVEL)
    instructor_id = fields.String(validate=ID)
    status = fields.String(validate=validate.OneOf(["draft", "published"]))
    mine = fields.Boolean(metadata={"description": "only courses I teach"})


class OrderBody(Schema):
    ids = fields.List(fields.String(validate=ID), required=True, metadata={"description": "every id, in the new order"})


class PageQuery(PageQuerySchema):
    pass


class WatchEventBody(Schema):
    video_id = fields.String(required=True, validate=ID, metadata={"description": "the video lesson's id"})
    start_time = fields.String(validate=HHMMSS, metadata={"description": "sent on play"})
    end_time = fields.String(validate=HHMMSS, metadata={"description": "sent on pause"})
    watchtime_seconds = fields.Integer(strict=True, metadata={"description": "sent on pause"})


class PlaylistImportBody(Schema):
    playlist_url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    title = fields.String(validate=validate.Length(min=1, max=200), metadata={"description": "default: the playlist's"})
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20))


class OptionBody(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    correct = fields.Boolean()


class QuestionBody(Schema):
    type = fields.String(
        required=True,
        validate=validate.OneOf(["single_choice", "multiple_choice", "true_false", "short_answer", "numeric"]),
    )
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    points = fields.Float(validate=validate.Range(min=0, max=1000, min_inclusive=False))
    options = fields.List(fields.Nested(OptionBody), validate=validate.Length(max=20))
    correct = fields.Boolean(metadata={"description": "true_false"})
    accepted_answers = fields.List(
        fields.String(validate=validate.Length(min=1, max=500)), validate=validate.Length(max=20)
    )
    answer = fields.Float(allow_nan=False, metadata={"description": "numeric"})
    tolerance = fields.Float(validate=validate.Range(min=0))
    explanation = fields.String(validate=validate.Length(max=5000))


class AssessmentBody(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    questions = fields.List(fields.Nested(QuestionBody), required=True, validate=validate.Length(min=1, max=200))
    passing_score = fields.Float(validate=validate.Range(min=0, max=100), metadata={"description": "percent"})
    max_attempts = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100))
    wait_seconds = fields.Integer(validate=validate.Range(min=0, max=30 * 86400))
    scoring_policy = fields.String(validate=validate.OneOf(["highest", "latest"]))
    time_limit_seconds = fields.Integer(allow_none=True, validate=validate.Range(min=10, max=86400))
    overdue_policy = fields.String(validate=validate.OneOf(["refuse", "score"]))
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    show_answers = fields.String(
        validate=validate.OneOf(["never", "after_each_attempt", "after_last_attempt", "once_passed"])
    )
    required = fields.Boolean(metadata={"description": "must be passed to complete the course (default true)"})


class AssessmentUpdateBody(AssessmentBody):
    title = fields.String(validate=validate.Length(min=1, max=200))
    questions = fields.List(fields.Nested(QuestionBody), validate=validate.Length(min=1, max=200))


class AnswerBody(Schema):
    question_id = fields.String(required=True, validate=ID)
    answer = fields.Raw(
        allow_none=True,
        metadata={"description": "option id, list of option ids, true/false, text or number by question type"},
    )


class SubmitBody(Schema):
    answers = fields.List(fields.Nested(AnswerBody), required=True, validate=validate.Length(max=200))


class AnalyticsQuery(Schema):
    days = fields.Integer(validate=validate.Range(min=1, max=3650))
    course_id = fields.String(validate=ID)


class PopularQuery(Schema):
    days = fields.Integer(validate=validate.Range(min=1, max=3650))
    limit = fields.Integer(validate=validate.Range(min=1, max=100))


# -- media


class MediaUploadBody(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content_type = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "image/*, video/*, audio/* or application/pdf (see docs/media.md)"},
    )
    size = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1), metadata={"description": "exact size in bytes"}
    )
    public = fields.Boolean(metadata={"description": "any signed-in user may get a URL (default false)"})


class MediaUpdateBody(Schema):
    filename = fields.String(validate=validate.Length(min=1, max=255))
    public = fields.Boolean()


class MediaQuery(PageQuerySchema):
    owner_id = fields.String(validate=ID, metadata={"description": "admins: one uploader's media"})


class MediaTokenQuery(Schema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=100))
