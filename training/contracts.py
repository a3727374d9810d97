"""The training service's contract: what its RPCs accept and what they answer (marshmallow), defined once.

Inputs are ``Contract`` schemas: the gateway validates a route's body and query
with them and the service loads the same JSON through them (``@accepts``).
Unknown fields are refused, so keys such as ``$gt`` or ``a.b`` never reach
MongoDB. Outputs document the ``data`` of the answers (OpenAPI).
"""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from common import exceptions
from common.contracts import Contract
from common.fields import Day, UuidString
from common.pagination import PageQuerySchema
from common.validation import reject_mongo_operators

LESSON_TYPES = ("text", "video", "youtube")
VIDEO_TYPES = ("video", "youtube")
DRAFT, PUBLISHED = "draft", "published"
COURSE_STATUSES = (DRAFT, PUBLISHED)
LEVELS = ("beginner", "intermediate", "advanced")
QUESTION_TYPES = ("single_choice", "multiple_choice", "true_false", "short_answer", "numeric")
SCORING_POLICIES = ("highest", "latest")
OVERDUE_POLICIES = ("refuse", "score")
CERTIFICATE_STATUSES = ("active", "revoked", "replaced")
SHOW_ANSWERS = ("never", "after_each_attempt", "after_last_attempt", "once_passed")

ID = validate.Length(min=1, max=64)
YOUTUBE_ID = validate.Regexp(r"^[A-Za-z0-9_-]{6,20}$", error="A YouTube video id")
HHMMSS = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$", error="A time of day as HH:MM:SS")


def Title(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=200), **kwargs)


def Tags(**kwargs):
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=50)), validate=validate.Length(max=20), **kwargs
    )


# -- courses, modules, lessons: inputs ---------------------------------------------


class NewLesson(Contract):
    title = Title(required=True)
    type = fields.String(load_default="text", validate=validate.OneOf(LESSON_TYPES))
    content = fields.String(load_default="", validate=validate.Length(max=100_000))
    media_url = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=2000))
    youtube_id = fields.String(allow_none=True, load_default=None, validate=YOUTUBE_ID)
    duration_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=24 * 3600))
    preview = fields.Boolean(load_default=False, metadata={"description": "shown to everyone, enrolled or not"})
    required = fields.Boolean(load_default=True, metadata={"description": "needed to complete the course"})
    media_id = UuidString(
        allow_none=True, metadata={"description": "uploaded media shown by the lesson; its link is minted on read"}
    )


class LessonChanges(Contract):
    title = Title()
    type = fields.String(validate=validate.OneOf(LESSON_TYPES))
    content = fields.String(validate=validate.Length(max=100_000))
    media_url = fields.String(allow_none=True, validate=validate.Length(max=2000))
    youtube_id = fields.String(allow_none=True, validate=YOUTUBE_ID)
    media_id = UuidString(allow_none=True)
    duration_seconds = fields.Integer(validate=validate.Range(min=0, max=24 * 3600))
    preview = fields.Boolean()
    required = fields.Boolean()


class NewModule(Contract):
    title = Title(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    lessons = fields.List(fields.Nested(NewLesson), load_default=list, validate=validate.Length(max=200))


class ModuleChanges(Contract):
    title = Title()
    description = fields.String(validate=validate.Length(max=5000))


class NewCourse(Contract):
    title = Title(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=20_000))
    tags = Tags(load_default=list)
    category = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=100))
    level = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(LEVELS))
    modules = fields.List(fields.Nested(NewModule), load_default=list, validate=validate.Length(max=100))


class CourseChanges(Contract):
    title = Title()
    description = fields.String(validate=validate.Length(max=20_000))
    tags = Tags()
    category = fields.String(allow_none=True, validate=validate.Length(max=100))
    level = fields.String(allow_none=True, validate=validate.OneOf(LEVELS))


class CourseSearch(Contract, PageQuerySchema):
    q = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"description": "text in title or description"}
    )
    tag = fields.String(validate=validate.Length(min=1, max=50))
    category = fields.String(validate=validate.Length(min=1, max=100))
    level = fields.String(validate=validate.OneOf(LEVELS))
    instructor_id = fields.String(validate=ID)
    status = fields.String(validate=validate.OneOf(COURSE_STATUSES))
    mine = fields.Boolean(load_default=False, metadata={"description": "only courses I teach"})


class Ordering(Contract):
    ids = fields.List(fields.String(validate=ID), required=True, metadata={"description": "every id, in the new order"})


class PlaylistImport(Contract):
    playlist_url = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    title = Title(metadata={"description": "default: the playlist's"})
    tags = Tags(load_default=list)


class PopularSearch(Contract):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class AnalyticsSearch(Contract):
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=3650))
    course_id = fields.String(validate=ID)


# -- certificates: inputs ----------------------------------------------------------


class CertificateRevocation(Contract):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class CertificateReissue(Contract):
    reason = fields.String(validate=validate.Length(min=1, max=500))


class ListPage(Contract, PageQuerySchema):
    """The page of a list answer ({"items", "total", "page", "page_size"})."""


class AttendanceRange(Contract, PageQuerySchema):
    """Inclusive days; by default the last 30 up to today, at most 366 (training/attendance.py)."""

    since = Day()
    until = Day()


# -- enrollment, watch time: inputs ------------------------------------------------


class EnrollmentPage(Contract, PageQuerySchema):
    pass


class VideoWatch(Contract):
    """A play sends ``start_time``; a pause sends ``end_time`` and ``watchtime_seconds``."""

    video_id = fields.String(required=True, validate=ID, metadata={"description": "the video lesson's id"})
    start_time = fields.String(validate=HHMMSS, metadata={"description": "sent on play"})
    end_time = fields.String(validate=HHMMSS, metadata={"description": "sent on pause"})
    watchtime_seconds = fields.Integer(strict=True, metadata={"description": "sent on pause"})

    @validates_schema
    def one_event(self, data, **kwargs):
        is_play = "start_time" in data
        is_pause = "end_time" in data or "watchtime_seconds" in data
        if is_play == is_pause:
            raise ValidationError("Send start_time (play) or end_time with watchtime_seconds (pause)", "_schema")


# -- assessments: inputs -------------------------------------------------------------


class NewOption(Contract):
    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    correct = fields.Boolean(load_default=False)


class NewQuestion(Contract):
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    prompt = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    points = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=1000, min_inclusive=False))
    options = fields.List(fields.Nested(NewOption), validate=validate.Length(max=20))
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


def Questions(**kwargs):
    return fields.List(fields.Nested(NewQuestion), validate=validate.Length(min=1, max=200), **kwargs)


class NewAssessment(Contract):
    title = Title(required=True)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    questions = Questions(required=True)
    passing_score = fields.Float(
        load_default=70.0, validate=validate.Range(min=0, max=100), metadata={"description": "percent"}
    )
    max_attempts = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=100))
    wait_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0, max=30 * 86400))
    scoring_policy = fields.String(load_default="highest", validate=validate.OneOf(SCORING_POLICIES))
    time_limit_seconds = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=10, max=86400))
    overdue_policy = fields.String(load_default="refuse", validate=validate.OneOf(OVERDUE_POLICIES))
    shuffle_questions = fields.Boolean(load_default=False)
    shuffle_options = fields.Boolean(load_default=False)
    show_answers = fields.String(load_default="after_last_attempt", validate=validate.OneOf(SHOW_ANSWERS))
    required = fields.Boolean(
        load_default=True, metadata={"description": "must be passed to complete the course (default true)"}
    )


class AssessmentChanges(Contract):
    """Any of an assessment's fields; questions only before the first attempt."""

    title = Title()
    description = fields.String(validate=validate.Length(max=5000))
    questions = Questions()
    passing_score = fields.Float(validate=validate.Range(min=0, max=100), metadata={"description": "percent"})
    max_attempts = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100))
    wait_seconds = fields.Integer(validate=validate.Range(min=0, max=30 * 86400))
    scoring_policy = fields.String(validate=validate.OneOf(SCORING_POLICIES))
    time_limit_seconds = fields.Integer(allow_none=True, validate=validate.Range(min=10, max=86400))
    overdue_policy = fields.String(validate=validate.OneOf(OVERDUE_POLICIES))
    shuffle_questions = fields.Boolean()
    shuffle_options = fields.Boolean()
    show_answers = fields.String(validate=validate.OneOf(SHOW_ANSWERS))
    required = fields.Boolean()


def plain_keys(value):
    """A free-form answer is stored in MongoDB as given: no operator (``$gt``) or dotted keys in it."""
    try:
        reject_mongo_operators(value, "answer")
    except exceptions.ValidationError as error:
        raise ValidationError(error.message) from None


class GivenAnswer(Contract):
    question_id = fields.String(required=True, validate=ID)
    answer = fields.Raw(
        allow_none=True,
        load_default=None,
        validate=plain_keys,
        metadata={"description": "option id, list of option ids, true/false, text or number by question type"},
    )


class Submission(Contract):
    answers = fields.List(fields.Nested(GivenAnswer), required=True, validate=validate.Length(max=200))


# -- media: inputs (its answers are at the end) ----------------------------------------------


class MediaUploadRequest(Contract):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    content_type = fields.String(
        required=True,
        validate=validate.Length(min=1, max=255),
        metadata={"description": "image/*, video/*, audio/* or application/pdf (see docs/media.md)"},
    )
    size = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1), metadata={"description": "exact size in bytes"}
    )
    public = fields.Boolean(
        load_default=False, metadata={"description": "any signed-in user may get a URL (default false)"}
    )


class MediaChanges(Contract):
    filename = fields.String(validate=validate.Length(min=1, max=255))
    public = fields.Boolean()


class MediaSearch(Contract, PageQuerySchema):
    owner_id = fields.String(validate=ID, metadata={"description": "admins: one uploader's media"})


class MediaLink(Contract):
    """The signed token of a local-storage upload or download link."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=100))


# -- answers: the data of the envelopes -----------------------------------------------------------------------------

# An answer's fields are always there (``required``) unless a schema says otherwise.


def Text(**kwargs):
    return fields.String(required=True, **kwargs)


def Texts(**kwargs):
    return fields.List(fields.String(), required=True, **kwargs)


def Int(**kwargs):
    return fields.Integer(required=True, **kwargs)


def Number(**kwargs):
    return fields.Float(required=True, **kwargs)


def Flag(**kwargs):
    return fields.Boolean(required=True, **kwargs)


def Moment(**kwargs):
    return fields.DateTime(required=True, **kwargs)


class Course(Schema):
    """A course in a listing (no modules)."""

    id = Text()
    title = Text()
    description = Text()
    tags = Texts()
    category = Text(allow_none=True)
    level = Text(allow_none=True)
    status = Text(metadata={"enum": ["draft", "published"]})
    instructor_id = Text(allow_none=True)
    module_count = Int()
    lesson_count = Int()
    duration_seconds = Int()
    created_at = Moment()
    updated_at = Moment()
    published_at = Moment(allow_none=True)


class Lesson(Schema):
    """``content``, ``media_url`` and ``youtube_id`` are left out while ``content_locked``."""

    id = Text()
    title = Text()
    type = Text()
    order = Int()
    content = fields.String()
    media_url = fields.String(allow_none=True)
    youtube_id = fields.String(allow_none=True)
    media_id = fields.String(allow_none=True)
    media_url_expires_at = fields.String(allow_none=True, metadata={"description": "with media_id: the link's end"})
    duration_seconds = Int()
    preview = Flag()
    required = Flag()
    content_locked = Flag()


class CourseLesson(Lesson):
    module_id = Text()
    module_title = Text()


class Video(Lesson):
    module_id = Text()
    video_link = Text(allow_none=True)
    duration = Text(metadata={"description": "HH:MM:SS"})


class Module(Schema):
    id = Text()
    title = Text()
    description = Text()
    order = Int()
    lessons = fields.List(fields.Nested(Lesson), required=True)


class CourseDetail(Course):
    modules = fields.List(fields.Nested(Module), required=True)
    enrolled = fields.Boolean(metadata={"description": "whether the caller is enrolled (reads)"})


class ImportedCourse(CourseDetail):
    course_title = Text()


class Deleted(Schema):
    deleted = Flag()
    id = Text()


class Enrollment(Schema):
    id = Text()
    user_id = Text()
    course_id = Text()
    status = Text()
    progress = Number(metadata={"description": "percent of required lessons done"})
    completed_lesson_ids = Texts()
    enrolled_at = Moment()
    last_activity_at = Moment(allow_none=True)
    completed_at = Moment(allow_none=True)


class EnrollmentWithCourse(Enrollment):
    course = fields.Nested(Course, allow_none=True)


class Enrolled(Enrollment):
    enrolled = Flag()
    created = Flag(metadata={"description": "false when already enrolled"})


class Unenrolled(Schema):
    enrolled = Flag()
    course_id = Text()


class EnrollmentStatus(Schema):
    """``{enrolled: false, course_id}``, or the enrollment with ``enrolled: true``."""

    enrolled = Flag()
    course_id = Text()
    id = fields.String()
    user_id = fields.String()
    status = fields.String()
    progress = fields.Float()
    completed_lesson_ids = fields.List(fields.String())
    enrolled_at = fields.DateTime()
    last_activity_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class Missing(Schema):
    lessons = Texts()
    assessments = Texts()


class Progress(Enrollment):
    missing = fields.Nested(Missing, required=True, metadata={"description": "what is left to complete"})


class WatchRecord(Schema):
    id = Text()
    video_id = Text()
    course_id = Text(allow_none=True)
    date = Text(metadata={"description": "YYYY-MM-DD"})
    start_time = Text(allow_none=True)
    end_time = Text(allow_none=True)
    playing = Flag()
    sessions = Int()
    watch_seconds = Int()
    watch_time = Text(metadata={"description": "HH:MM:SS"})
    updated_at = Moment(allow_none=True)


class WatchEvent(WatchRecord):
    event = Text(metadata={"enum": ["play", "pause"]})
    added_seconds = fields.Integer(metadata={"description": "pause: seconds added by this play"})
    lesson_completed = fields.Boolean(metadata={"description": "pause: the video lesson is complete (watched enough)"})


class Attendance(Schema):
    date = Text(metadata={"description": "YYYY-MM-DD"})
    user_id = Text()
    status = Text()
    total_seconds = Int()
    total_time = Text()
    required_time = Text()


class Option(Schema):
    id = Text()
    text = Text()


class Question(Schema):
    """The answer keys (``correct_option_ids`` to ``explanation``) only for the course's instructors."""

    id = Text()
    type = Text()
    prompt = Text()
    points = Number()
    options = fields.List(fields.Nested(Option))
    correct_option_ids = fields.List(fields.String())
    correct = fields.Boolean()
    accepted_answers = fields.List(fields.String())
    answer = fields.Float()
    tolerance = fields.Float()
    explanation = fields.String()


class Assessment(Schema):
    id = Text()
    course_id = Text()
    title = Text()
    description = Text()
    question_count = Int()
    max_points = Number()
    created_at = Moment()
    passing_score = Number()
    max_attempts = Int(allow_none=True)
    wait_seconds = Int()
    scoring_policy = Text()
    time_limit_seconds = Int(allow_none=True)
    overdue_policy = Text()
    shuffle_questions = Flag()
    shuffle_options = Flag()
    show_answers = Text()
    required = Flag()
    questions = fields.List(fields.Nested(Question), required=True)


class Attempt(Schema):
    id = Text()
    assessment_id = Text()
    number = Int()
    status = Text()
    started_at = Moment()
    deadline = Moment(allow_none=True)
    time_left_seconds = Int(allow_none=True)
    questions = fields.List(fields.Nested(Question), required=True)


class AttemptSummary(Schema):
    id = Text()
    number = Int()
    status = Text()
    late = Flag()
    started_at = Moment()
    submitted_at = Moment(allow_none=True)
    score = Number(allow_none=True)
    points = Number(allow_none=True)
    max_points = Number(allow_none=True)
    passed = Flag(allow_none=True)


class QuestionFeedback(Schema):
    question_id = Text()
    answered = Flag()
    points = Number()
    max_points = Number()
    outcome = Text()
    prompt = fields.String()
    your_answer = fields.Raw(allow_none=True)
    correct_answer = fields.Dict(metadata={"description": "the question's answer keys, when answers are shown"})


class AssessmentResult(Schema):
    assessment_id = Text()
    scoring_policy = Text()
    passing_score = Number()
    attempts_used = Int()
    attempts_left = Int(allow_none=True)
    passed = Flag()
    score = Number(allow_none=True)
    counting_attempt = fields.Nested(AttemptSummary, required=True, allow_none=True)
    answers_shown = Flag()
    attempts = fields.List(fields.Nested(AttemptSummary), required=True)
    feedback = fields.List(fields.Nested(QuestionFeedback), required=True)


class CertificateCheck(Schema):
    """Valid means genuine (the signature matches) and in force (status active)."""

    id = Text()
    holder_name = Text()
    course_title = Text()
    issued_at = Moment()
    valid = Flag()
    status = Text(validate=validate.OneOf(CERTIFICATE_STATUSES))
    genuine = Flag()
    revoked_at = Moment(allow_none=True)
    revocation_reason = Text(allow_none=True)
    replaced_by = Text(allow_none=True)
    replaces = Text(allow_none=True)


class Certificate(CertificateCheck):
    """The holder's (and admins') view: the check and whose it is, with the signature."""

    user_id = Text()
    course_id = Text()
    signature = Text(allow_none=True)


class CourseStats(Schema):
    course_id = Text()
    title = Text()
    status = Text()
    enrollments = Int()
    new_enrollments = Int()
    completions = Int()
    completion_rate = Number()
    average_progress = Number(allow_none=True)
    average_score = Number(allow_none=True)
    active_learners = Int()


class AnalyticsTotals(Schema):
    courses = Int()
    enrollments = Int()
    new_enrollments = Int()
    completions = Int()
    completion_rate = Number()
    average_score = Number(allow_none=True)
    active_learners = Int()


class Analytics(Schema):
    period_days = Int()
    courses = fields.List(fields.Nested(CourseStats), required=True)
    totals = fields.Nested(AnalyticsTotals, required=True)


class PopularCourse(Course):
    recent_enrollments = Int()


# -- media: answers ------------------------------------------------------------------


class Media(Schema):
    id = Text()
    owner_id = Text()
    filename = Text()
    content_type = Text()
    size = Int()
    storage_key = Text()
    status = Text()
    public = Flag()
    created_at = Moment()
    uploaded_at = Moment(allow_none=True)


class UploadTarget(Schema):
    method = Text(metadata={"enum": ["PUT", "POST"]})
    url = Text()
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "form fields of a POST"},
    )
    headers = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    max_bytes = Int()
    expires_at = Moment()


class MediaUpload(Schema):
    media = fields.Nested(Media, required=True)
    upload = fields.Nested(UploadTarget, required=True)


class MediaUrl(Schema):
    id = Text()
    content_type = Text()
    filename = Text()
    url = Text()
    expires_at = Moment()


# -- a course's learners, for its instructor and admins


LEARNER_SORTS = ("progress", "last_activity", "name", "enrolled")


class LearnerSearch(Contract, PageQuerySchema):
    sort = fields.String(load_default="last_activity", validate=validate.OneOf(LEARNER_SORTS))
    order = fields.String(load_default="desc", validate=validate.OneOf(("asc", "desc")))
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "csv: every learner as a CSV file (as does Accept: text/csv)"},
    )


class LearnerProgress(Schema):
    user_id = Text()
    name = Text(allow_none=True)
    email = Text(allow_none=True)
    status = Text()
    progress = Number(metadata={"description": "percent of the course's lessons done"})
    lessons_done = Int()
    lessons_total = Int()
    enrolled_at = Moment()
    last_activity_at = Moment()
    completed_at = Moment(allow_none=True)
    watch_seconds = Int(metadata={"description": "seconds of the course's videos watched, every day together"})
    watch_time = Text()
    best_score = Number(allow_none=True)
    latest_score = Number(allow_none=True)
    certificate_id = Text(allow_none=True)


class LearnerLesson(Schema):
    lesson_id = Text()
    module_id = Text()
    title = Text()
    type = Text()
    required = Flag()
    completed = Flag()
    duration_seconds = Int()
    watch_seconds = Int()


class LearnerDetail(LearnerProgress):
    lessons = fields.List(fields.Nested(LearnerLesson), required=True)
