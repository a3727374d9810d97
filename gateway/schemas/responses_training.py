"""What training answers: the ``data`` of its envelopes (documentation only)."""

from marshmallow import Schema, fields


class Course(Schema):
    """A course in a listing (no modules)."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    category = fields.String(required=True, allow_none=True)
    level = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["draft", "published"]})
    instructor_id = fields.String(required=True, allow_none=True)
    module_count = fields.Integer(required=True)
    lesson_count = fields.Integer(required=True)
    duration_seconds = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    published_at = fields.DateTime(required=True, allow_none=True)


class Lesson(Schema):
    """``content``, ``media_url`` and ``youtube_id`` are left out while ``content_locked``."""

    id = fields.String(required=True)
    title = fields.String(required=True)
    type = fields.String(required=True)
    order = fields.Integer(required=True)
    content = fields.String()
    media_url = fields.String(allow_none=True)
    youtube_id = fields.String(allow_none=True)
    duration_seconds = fields.Integer(required=True)
    preview = fields.Boolean(required=True)
    required = fields.Boolean(required=True)
    content_locked = fields.Boolean(required=True)


class CourseLesson(Lesson):
    module_id = fields.String(required=True)
    module_title = fields.String(required=True)


class Video(Lesson):
    module_id = fields.String(required=True)
    video_link = fields.String(required=True, allow_none=True)
    duration = fields.String(required=True, metadata={"description": "HH:MM:SS"})


class Module(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    order = fields.Integer(required=True)
    lessons = fields.List(fields.Nested(Lesson), required=True)


class CourseDetail(Course):
    modules = fields.List(fields.Nested(Module), required=True)
    enrolled = fields.Boolean(metadata={"description": "whether the caller is enrolled (reads)"})


class ImportedCourse(CourseDetail):
    course_title = fields.String(required=True)


class Deleted(Schema):
    deleted = fields.Boolean(required=True)
    id = fields.String(required=True)


class Enrollment(Schema):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    course_id = fields.String(required=True)
    status = fields.String(required=True)
    progress = fields.Float(required=True, metadata={"description": "percent of required lessons done"})
    completed_lesson_ids = fields.List(fields.String(), required=True)
    enrolled_at = fields.DateTime(required=True)
    last_activity_at = fields.DateTime(required=True, allow_none=True)
    completed_at = fields.DateTime(required=True, allow_none=True)


class EnrollmentWithCourse(Enrollment):
    course = fields.Nested(Course, allow_none=True)


class Enrolled(Enrollment):
    enrolled = fields.Boolean(required=True)
    created = fields.Boolean(required=True, metadata={"description": "false when already enrolled"})


class Unenrolled(Schema):
    enrolled = fields.Boolean(required=True)
    course_id = fields.String(required=True)


class EnrollmentStatus(Schema):
    """``{enrolled: false, course_id}``, or the enrollment with ``enrolled: true``."""

    enrolled = fields.Boolean(required=True)
    course_id = fields.String(required=True)
    id = fields.String()
    user_id = fields.String()
    status = fields.String()
    progress = fields.Float()
    completed_lesson_ids = fields.List(fields.String())
    enrolled_at = fields.DateTime()
    last_activity_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)


class Missing(Schema):
    lessons = fields.List(fields.String(), required=True)
    assessments = fields.List(fields.String(), required=True)


class Progress(Enrollment):
    missing = fields.Nested(Missing, required=True, metadata={"description": "what is left to complete"})


class WatchRecord(Schema):
    id = fields.String(required=True)
    video_id = fields.String(required=True)
    course_id = fields.String(required=True, allow_none=True)
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    start_time = fields.String(required=True, allow_none=True)
    end_time = fields.String(required=True, allow_none=True)
    playing = fields.Boolean(required=True)
    sessions = fields.Integer(required=True)
    watch_seconds = fields.Integer(required=True)
    watch_time = fields.String(required=True, metadata={"description": "HH:MM:SS"})
    updated_at = fields.DateTime(required=True, allow_none=True)


class WatchEvent(WatchRecord):
    event = fields.String(required=True, metadata={"enum": ["play", "pause"]})
    added_seconds = fields.Integer(metadata={"description": "pause: seconds added by this play"})


class Attendance(Schema):
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    user_id = fields.String(required=True)
    status = fields.String(required=True)
    total_seconds = fields.Integer(required=True)
    total_time = fields.String(required=True)
    required_time = fields.String(required=True)


class Option(Schema):
    id = fields.String(required=True)
    text = fields.String(required=True)


class Question(Schema):
    """The answer keys (``correct_option_ids`` to ``explanation``) only for the course's instructors."""

    id = fields.String(required=True)
    type = fields.String(required=True)
    prompt = fields.String(required=True)
    points = fields.Float(required=True)
    options = fields.List(fields.Nested(Option))
    correct_option_ids = fields.List(fields.String())
    correct = fields.Boolean()
    accepted_answers = fields.List(fields.String())
    answer = fields.Float()
    tolerance = fields.Float()
    explanation = fields.String()


class Assessment(Schema):
    id = fields.String(required=True)
    course_id = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    question_count = fields.Integer(required=True)
    max_points = fields.Float(required=True)
    created_at = fields.DateTime(required=True)
    passing_score = fields.Float(required=True)
    max_attempts = fields.Integer(required=True, allow_none=True)
    wait_seconds = fields.Integer(required=True)
    scoring_policy = fields.String(required=True)
    time_limit_seconds = fields.Integer(required=True, allow_none=True)
    overdue_policy = fields.String(required=True)
    shuffle_questions = fields.Boolean(required=True)
    shuffle_options = fields.Boolean(required=True)
    show_answers = fields.String(required=True)
    required = fields.Boolean(required=True)
    questions = fields.List(fields.Nested(Question), required=True)


class Attempt(Schema):
    id = fields.String(required=True)
    assessment_id = fields.String(required=True)
    number = fields.Integer(required=True)
    status = fields.String(required=True)
    started_at = fields.DateTime(required=True)
    deadline = fields.DateTime(required=True, allow_none=True)
    time_left_seconds = fields.Integer(required=True, allow_none=True)
    questions = fields.List(fields.Nested(Question), required=True)


class AttemptSummary(Schema):
    id = fields.String(required=True)
    number = fields.Integer(required=True)
    status = fields.String(required=True)
    late = fields.Boolean(required=True)
    started_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    score = fields.Float(required=True, allow_none=True)
    points = fields.Float(required=True, allow_none=True)
    max_points = fields.Float(required=True, allow_none=True)
    passed = fields.Boolean(required=True, allow_none=True)


class QuestionFeedback(Schema):
    question_id = fields.String(required=True)
    answered = fields.Boolean(required=True)
    points = fields.Float(required=True)
    max_points = fields.Float(required=True)
    outcome = fields.String(required=True)
    prompt = fields.String()
    your_answer = fields.Raw(allow_none=True)
    correct_answer = fields.Dict(metadata={"description": "the question's answer keys, when answers are shown"})


class AssessmentResult(Schema):
    assessment_id = fields.String(required=True)
    scoring_policy = fields.String(required=True)
    passing_score = fields.Float(required=True)
    attempts_used = fields.Integer(required=True)
    attempts_left = fields.Integer(required=True, allow_none=True)
    passed = fields.Boolean(required=True)
    score = fields.Float(required=True, allow_none=True)
    counting_attempt = fields.Nested(AttemptSummary, required=True, allow_none=True)
    answers_shown = fields.Boolean(required=True)
    attempts = fields.List(fields.Nested(AttemptSummary), required=True)
    feedback = fields.List(fields.Nested(QuestionFeedback), required=True)


class Certificate(Schema):
    id = fields.String(required=True)
    user_id = fields.String(required=True)
    holder_name = fields.String(required=True)
    course_id = fields.String(required=True)
    course_title = fields.String(required=True)
    issued_at = fields.DateTime(required=True)
    signature = fields.String(required=True, allow_none=True)
    valid = fields.Boolean(required=True)


class CertificateCheck(Schema):
    id = fields.String(required=True)
    holder_name = fields.String(required=True)
    course_title = fields.String(required=True)
    issued_at = fields.DateTime(required=True)
    valid = fields.Boolean(required=True)


class CourseStats(Schema):
    course_id = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    enrollments = fields.Integer(required=True)
    new_enrollments = fields.Integer(required=True)
    completions = fields.Integer(required=True)
    completion_rate = fields.Float(required=True)
    average_progress = fields.Float(required=True, allow_none=True)
    average_score = fields.Float(required=True, allow_none=True)
    active_learners = fields.Integer(required=True)


class AnalyticsTotals(Schema):
    courses = fields.Integer(required=True)
    enrollments = fields.Integer(required=True)
    new_enrollments = fields.Integer(required=True)
    completions = fields.Integer(required=True)
    completion_rate = fields.Float(required=True)
    average_score = fields.Float(required=True, allow_none=True)
    active_learners = fields.Integer(required=True)


class Analytics(Schema):
    period_days = fields.Integer(required=True)
    courses = fields.List(fields.Nested(CourseStats), required=True)
    totals = fields.Nested(AnalyticsTotals, required=True)


class PopularCourse(Course):
    recent_enrollments = fields.Integer(required=True)


class Media(Schema):
    id = fields.String(required=True)
    owner_id = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    storage_key = fields.String(required=True)
    status = fields.String(required=True)
    public = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)
    uploaded_at = fields.DateTime(required=True, allow_none=True)


class UploadTarget(Schema):
    method = fields.String(required=True, metadata={"enum": ["PUT", "POST"]})
    url = fields.String(required=True)
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "form fields of a POST"},
    )
    headers = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    max_bytes = fields.Integer(required=True)
    expires_at = fields.DateTime(required=True)


class MediaUpload(Schema):
    media = fields.Nested(Media, required=True)
    upload = fields.Nested(UploadTarget, required=True)


class MediaUrl(Schema):
    id = fields.String(required=True)
    content_type = fields.String(required=True)
    filename = fields.String(required=True)
    url = fields.String(required=True)
    expires_at = fields.DateTime(required=True)
