"""The training service: courses, enrollment, progress, watch time, attendance, assessments, certificates.

Entrypoints only; the rules live in the domain modules beside it.
"""

import logging

from nameko.dependency_providers import Config

from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.events import DomainEvents
from common.exceptions import Forbidden, NotFound, PayloadTooLarge, ValidationError
from common.ids import parse_uuid
from common.mongo import MongoDatabase
from common.pagination import PageQuerySchema, offset_of, page_of
from common.roles import ADMIN, INSTRUCTOR
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.timers import ConfiguredTimer
from common.validation import load, reject_mongo_operators
from training import (
    analytics,
    assessments,
    attendance,
    certificates,
    courses,
    enrollments,
    keys,
    media,
    progress,
    watchtime,
    youtube,
)
from training.media_storage import MediaStorage
from training.schemas import (
    VIDEO_TYPES,
    AnalyticsQuerySchema,
    AssessmentSchema,
    CourseQuerySchema,
    CourseSchema,
    CourseUpdateSchema,
    LessonSchema,
    LessonUpdateSchema,
    ModuleSchema,
    ModuleUpdateSchema,
    OrderSchema,
    PlaylistImportSchema,
    PopularQuerySchema,
    QuestionsSchema,
    SubmitSchema,
    WatchEventSchema,
)
from training.store import ASSESSMENTS, ATTEMPTS, CERTIFICATES, COURSES, ENROLLMENTS, ensure_indexes

log = logging.getLogger(__name__)

SETTINGS = {
    "attendance_min_seconds": Setting(1800, "Watch time in a day that counts the day as present", minimum=1),
}


def checked(schema, payload, partial=False):
    """Refuse MongoDB operator keys anywhere in the input, then validate it."""
    reject_mongo_operators(payload)
    return load(schema, payload, partial=partial) if partial else load(schema, payload)


class TrainingService(service_base.PlatformService):
    name = "training"

    db = MongoDatabase(ensure_indexes=ensure_indexes)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="mongo")
    events = DomainEvents()
    config = Config()
    certificate_key = keys.CertificateKey()
    users = RpcProxy("users")
    youtube_api = youtube.YouTubeApi()

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        return {
            "courses": self.db[COURSES].count_documents({}),
            "published_courses": self.db[COURSES].count_documents({"status": courses.PUBLISHED}),
            "enrollments": self.db[ENROLLMENTS].count_documents({}),
            "completed_enrollments": self.db[ENROLLMENTS].count_documents({"status": enrollments.COMPLETED}),
            "assessments": self.db[ASSESSMENTS].count_documents({}),
            "attempts": self.db[ATTEMPTS].count_documents({}),
            "certificates": self.db[CERTIFICATES].count_documents({}),
            "generated_at": isoformat(utcnow()),
        }

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    # -- courses ---------------------------------------------------------------

    @rpc
    def create_course(self, **payload):
        self.caller.require_role(INSTRUCTOR, ADMIN)
        data = checked(CourseSchema(), payload)
        course = courses.create(self.db, self.caller.user_id, data)
        self.events(events.COURSE_CREATED, user_id=self.caller.user_id, course_id=course["_id"], title=course["title"])
        return courses.course_view(course, show_content=True)

    @rpc
    def list_courses(self, **payload):
        query = checked(CourseQuerySchema(), payload)
        page, size = query.pop("page"), query.pop("page_size")
        items, total = courses.listing(self.db, self.caller, query, offset_of(page, size), size)
        return page_of(items, total, page, size)

    @rpc
    def get_course(self, course_id):
        course = courses.visible(self.db, self.caller, course_id)
        show = courses.can_read_lessons(self.db, self.caller, course)
        view = courses.course_view(course, show_content=show)
        view["enrolled"] = courses.is_enrolled(self.db, self.caller.user_id, course["_id"])
        return view

    @rpc
    def update_course(self, course_id, **payload):
        data = checked(CourseUpdateSchema(), payload)
        if "tags" in data:
            data["tags"] = sorted({tag.strip().lower() for tag in data["tags"] if tag.strip()})
        course = courses.update(self.db, self.caller, course_id, lambda course: course.update(data))
        return courses.course_view(course, show_content=True)

    @rpc
    def delete_course(self, course_id):
        course = courses.editable(self.db, self.caller, course_id)
        self.db[COURSES].delete_one({"_id": course["_id"]})
        # Its assessments go with it; enrollments, attempts and certificates stay as history.
        self.db[ASSESSMENTS].delete_many({"course_id": course["_id"]})
        return {"deleted": True, "id": course["_id"]}

    @rpc
    def publish_course(self, course_id):
        # Whether this request's successful write is the one that published: a retry after losing a race
        # reads the winner's document, so concurrent publishes announce COURSE_PUBLISHED once.
        published_now = {}

        def publish(course):
            if not courses.all_lessons(course):
                raise courses.ValidationError("A course needs at least one lesson to be published", {})
            published_now["value"] = course["status"] != courses.PUBLISHED
            course["status"] = courses.PUBLISHED
            course["published_at"] = course.get("published_at") or utcnow()

        course = courses.update(self.db, self.caller, course_id, publish)
        if published_now["value"]:
            self.events(
                events.COURSE_PUBLISHED, user_id=self.caller.user_id, course_id=course["_id"], title=course["title"]
            )
        return courses.course_view(course, show_content=True)

    @rpc
    def unpublish_course(self, course_id):
        course = courses.update(self.db, self.caller, course_id, lambda course: course.update(status=courses.DRAFT))
        return courses.course_view(course, show_content=True)

    @rpc
    def list_lessons(self, course_id):
        course = courses.visible(self.db, self.caller, course_id)
        show = courses.can_read_lessons(self.db, self.caller, course)
        return [
            dict(courses.lesson_view(lesson, show), module_id=module["id"], module_title=module["title"])
            for module in course["modules"]
            for lesson in module["lessons"]
        ]

    # -- modules and lessons ---------------------------------------------------

    @rpc
    def add_module(self, course_id, **payload):
        data = checked(ModuleSchema(), payload)
        module = courses.new_module(data)
        courses.update(self.db, self.caller, course_id, lambda course: course["modules"].append(module))
        return self.get_course(course_id)

    @rpc
    def update_module(self, course_id, module_id, **payload):
        data = checked(ModuleUpdateSchema(), payload)
        courses.update(
            self.db, self.caller, course_id, lambda course: courses.module_of(course, module_id).update(data)
        )
        return self.get_course(course_id)

    @rpc
    def remove_module(self, course_id, module_id):
        def remove(course):
            course["modules"].remove(courses.module_of(course, module_id))

        courses.update(self.db, self.caller, course_id, remove)
        return self.get_course(course_id)

    @rpc
    def reorder_modules(self, course_id, **payload):
        ids = checked(OrderSchema(), payload)["ids"]

        def reorder(course):
            course["modules"] = courses.reordered(course["modules"], ids, "module")

        courses.update(self.db, self.caller, course_id, reorder)
        return self.get_course(course_id)

    @rpc
    def add_lesson(self, course_id, module_id, **payload):
        data = checked(LessonSchema(), payload)
        lesson = courses.new_lesson(data)
        courses.update(
            self.db,
            self.caller,
            course_id,
            lambda course: courses.module_of(course, module_id)["lessons"].append(lesson),
        )
        return self.get_course(course_id)

    @rpc
    def update_lesson(self, course_id, lesson_id, **payload):
        data = checked(LessonUpdateSchema(), payload)
        courses.update(
            self.db, self.caller, course_id, lambda course: courses.lesson_of(course, lesson_id)[1].update(data)
        )
        return self.get_course(course_id)

    @rpc
    def remove_lesson(self, course_id, lesson_id):
        def remove(course):
            module, lesson = courses.lesson_of(course, lesson_id)
            module["lessons"].remove(lesson)

        courses.update(self.db, self.caller, course_id, remove)
        return self.get_course(course_id)

    @rpc
    def reorder_lessons(self, course_id, module_id, **payload):
        ids = checked(OrderSchema(), payload)["ids"]

        def reorder(course):
            module = courses.module_of(course, module_id)
            module["lessons"] = courses.reordered(module["lessons"], ids, "lesson")

        courses.update(self.db, self.caller, course_id, reorder)
        return self.get_course(course_id)

    # -- enrollment ------------------------------------------------------------

    def _learner(self):
        return self.caller.require_user()

    @rpc
    def enroll(self, course_id):
        user_id = self._learner()
        course = courses.visible(self.db, self.caller, course_id)
        enrollment, created = enrollments.enroll(self.db, user_id, course)
        if created or enrollments.recently_enrolled(enrollment):
            # A retry that finds the enrollment saves its outbox entry again (a no-op when it is there): an
            # enrollment whose first request died before saving its event still gets it.
            self.events(
                events.COURSE_ENROLLED,
                user_id=user_id,
                course_id=course["_id"],
                envelope_id=enrollments.enrolled_event_id(enrollment),
                title=course["title"],
            )
        return dict(enrollments.view(enrollment), created=created, enrolled=True)

    @rpc
    def unenroll(self, course_id):
        user_id = self._learner()
        course = courses.find(self.db, course_id)
        if not enrollments.unenroll(self.db, user_id, course["_id"]):
            raise NotFound("You are not enrolled in this course")
        self.events(events.COURSE_UNENROLLED, user_id=user_id, course_id=course["_id"])
        return {"enrolled": False, "course_id": course["_id"]}

    @rpc
    def enrollment_status(self, course_id):
        user_id = self._learner()
        course = courses.visible(self.db, self.caller, course_id)
        enrollment = enrollments.find(self.db, user_id, course["_id"])
        if enrollment is None:
            return {"enrolled": False, "course_id": course["_id"]}
        return dict(enrollments.view(enrollment), enrolled=True)

    @rpc
    def my_enrollments(self, **payload):
        user_id = self._learner()
        query = checked(PageQuerySchema(), payload)
        page, size = query["page"], query["page_size"]
        items, total = enrollments.mine(self.db, user_id, offset_of(page, size), size)
        return page_of(items, total, page, size)

    # -- progress and completion -------------------------------------------------

    def _settle_completion(self, enrollment, course):
        """Complete the course if its requirements are met; issue the certificate (once) when completed."""
        enrollment, completed_now = progress.try_complete(self.db, enrollment, course)
        if completed_now:
            self.events(
                events.COURSE_COMPLETED, user_id=enrollment["user_id"], course_id=course["_id"], title=course["title"]
            )
        if enrollment.get("completed_at") is not None:
            self._issue_certificate(enrollment["user_id"], course)
        return enrollment

    def _issue_certificate(self, user_id, course):
        if certificates.find_for(self.db, user_id, course["_id"]) is not None:
            return
        try:
            account = self.users.get_account(user_id) or {}
        except Exception:
            # The course stays completed; the next progress check or completion issues the certificate.
            log.warning("certificate for user %s, course %s postponed: users did not answer", user_id, course["_id"])
            return
        holder = account.get("name") or account.get("username") or account.get("email") or "Learner"
        certificate, created = certificates.issue(self.db, user_id, course, holder, self.certificate_key)
        if created:
            self.events(
                events.CERTIFICATE_ISSUED,
                user_id=user_id,
                course_id=course["_id"],
                certificate_id=certificate["_id"],
                course_title=course["title"],
            )

    @rpc
    def complete_lesson(self, lesson_id):
        user_id = self._learner()
        course = courses.course_of_lesson(self.db, lesson_id)
        enrollment = enrollments.require(self.db, user_id, course["_id"])
        enrollment, newly = progress.complete_lesson(self.db, enrollment, course, str(lesson_id))
        if newly:
            self.events(
                events.LESSON_COMPLETED,
                user_id=user_id,
                course_id=course["_id"],
                lesson_id=str(lesson_id),
                progress=enrollment["progress"],
            )
        enrollment = self._settle_completion(enrollment, course)
        result = enrollments.view(enrollment)
        result["missing"] = progress.missing_requirements(self.db, enrollment, course)
        return result

    @rpc
    def course_progress(self, course_id):
        user_id = self._learner()
        course = courses.visible(self.db, self.caller, course_id)
        # Settling here too lets a learner collect a certificate whose issue failed earlier (users unreachable).
        enrollment = self._settle_completion(enrollments.require(self.db, user_id, course["_id"]), course)
        result = enrollments.view(enrollment)
        result["missing"] = progress.missing_requirements(self.db, enrollment, course)
        return result

    # -- watch time ----------------------------------------------------

    def _video_for_learner(self, video_id):
        """The lesson, its course and the caller's enrollment; 403 when the caller does not take the course."""
        user_id = self._learner()
        course = courses.course_of_lesson(self.db, video_id)
        _, lesson = courses.lesson_of(course, str(video_id))
        if lesson.get("type") not in VIDEO_TYPES:
            raise ValidationError("This lesson is not a video", {"video_id": ["not a video lesson"]})
        enrollment = enrollments.find(self.db, user_id, course["_id"])
        if enrollment is None:
            raise Forbidden("You are not enrolled in the course of this video")
        return user_id, lesson, course, enrollment

    @rpc
    def track_progress(self, **payload):
        data = checked(WatchEventSchema(), payload)
        user_id, lesson, course, enrollment = self._video_for_learner(data["video_id"])
        if "start_time" in data:
            record = watchtime.play(self.db, user_id, lesson, course["_id"], data["start_time"])
            return dict(watchtime.view(record), event="play")
        if "end_time" not in data:
            raise ValidationError("A pause needs end_time", {"end_time": ["required on pause"]})
        record, added = watchtime.pause(self.db, user_id, lesson, data["end_time"], data.get("watchtime_seconds"))
        enrollments.touch(self.db, enrollment["_id"])
        self.events(
            events.VIDEO_PROGRESS,
            user_id=user_id,
            course_id=course["_id"],
            video_id=lesson["id"],
            date=record["date"],
            added_seconds=added,
            watch_seconds=record["watch_seconds"],
        )
        return dict(watchtime.view(record), event="pause", added_seconds=added)

    @rpc
    def video_progress(self, video_id):
        user_id = self._learner()
        courses.course_of_lesson(self.db, video_id)
        return watchtime.for_video(self.db, user_id, str(video_id))

    # -- attendance ----------------------------------------------------

    @rpc
    def my_attendance(self):
        return attendance.of_user(self.db, self._learner(), self.settings["attendance_min_seconds"])

    @rpc
    def attendance_today(self):
        today = watchtime.day_of(utcnow())
        return attendance.of_user_on(self.db, self._learner(), today, self.settings["attendance_min_seconds"])

    @rpc
    def user_attendance(self, user_id):
        self.caller.require_role(ADMIN)
        return attendance.of_user(self.db, str(parse_uuid(user_id)), self.settings["attendance_min_seconds"])

    @rpc
    def attendance_on(self, date):
        self.caller.require_role(ADMIN)
        return attendance.on_day(self.db, attendance.parse_day(date), self.settings["attendance_min_seconds"])

    # -- videos --------------------------------------------------------

    @rpc
    def course_videos(self, course_id):
        course = courses.visible(self.db, self.caller, course_id)
        show = courses.can_read_lessons(self.db, self.caller, course)
        videos = []
        for module in course["modules"]:
            for lesson in module["lessons"]:
                if lesson.get("type") in VIDEO_TYPES:
                    view = courses.lesson_view(lesson, show)
                    view.update(
                        module_id=module["id"],
                        video_link=view.get("media_url"),
                        duration=watchtime.hhmmss(lesson.get("duration_seconds") or 0),
                    )
                    videos.append(view)
        return videos

    @rpc
    def import_youtube_playlist(self, **payload):
        self.caller.require_role(INSTRUCTOR, ADMIN)
        data = checked(PlaylistImportSchema(), payload)
        playlist = self.youtube_api.import_playlist(youtube.playlist_id_of(data["playlist_url"]))
        if not playlist["videos"]:
            raise ValidationError("The playlist has no public videos", {"playlist_url": ["empty playlist"]})
        lessons = [
            {
                "title": video["title"][:200],
                "type": "youtube",
                "content": video["description"][:100_000],
                "media_url": f"https://www.youtube.com/watch?v={video['youtube_id']}",
                "youtube_id": video["youtube_id"],
                "duration_seconds": min(video["duration_seconds"], 24 * 3600),
                "preview": False,
                "required": True,
            }
            for video in playlist["videos"]
        ]
        course_data = {
            "title": (data.get("title") or playlist["title"])[:200],
            "description": playlist["description"][:20_000],
            "tags": data.get("tags", []),
            "modules": [{"title": "Videos", "description": "", "lessons": lessons}],
        }
        course = courses.create(self.db, self.caller.user_id, course_data)
        self.events(
            events.COURSE_CREATED,
            user_id=self.caller.user_id,
            course_id=course["_id"],
            title=course["title"],
            source="youtube",
        )
        view = courses.course_view(course, show_content=True)
        view["course_title"] = view["title"]  # clients of the videos routes read this name
        return view

    # -- assessments -------------------------------------------------------------

    def _assessment_for_learner(self, assessment_id):
        user_id = self._learner()
        assessment = assessments.find(self.db, assessment_id)
        course = courses.visible(self.db, self.caller, assessment["course_id"])
        if enrollments.find(self.db, user_id, course["_id"]) is None:
            raise Forbidden("Enroll in the course to take its assessments")
        return user_id, assessment, course

    @rpc
    def create_assessment(self, course_id, **payload):
        data = checked(AssessmentSchema(), payload)
        course = courses.editable(self.db, self.caller, course_id)
        assessment = assessments.create(self.db, course["_id"], self.caller.user_id, data)
        return assessments.view(assessment, with_answers=True)

    @rpc
    def list_assessments(self, course_id):
        course = courses.visible(self.db, self.caller, course_id)
        rows = self.db[ASSESSMENTS].find({"course_id": course["_id"]}).sort("created_at", 1)
        return [assessments.view(row) for row in rows]

    @rpc
    def get_assessment(self, assessment_id):
        assessment = assessments.find(self.db, assessment_id)
        courses.visible(self.db, self.caller, assessment["course_id"])
        return assessments.view(assessment)

    @rpc
    def update_assessment(self, assessment_id, **payload):
        assessment = assessments.find(self.db, assessment_id)
        courses.editable(self.db, self.caller, assessment["course_id"])
        reject_mongo_operators(payload)
        questions = payload.pop("questions", None)
        data = load(AssessmentSchema(), payload, partial=True)
        if questions is not None:
            data["questions"] = load(QuestionsSchema(), {"questions": questions})["questions"]
        changed = assessments.update(self.db, assessment, data)
        return assessments.view(changed, with_answers=True)

    @rpc
    def delete_assessment(self, assessment_id):
        assessment = assessments.find(self.db, assessment_id)
        courses.editable(self.db, self.caller, assessment["course_id"])
        self.db[ASSESSMENTS].delete_one({"_id": assessment["_id"]})
        return {"deleted": True, "id": assessment["_id"]}

    @rpc
    def start_assessment(self, assessment_id):
        user_id, assessment, _ = self._assessment_for_learner(assessment_id)
        attempt = assessments.start(self.db, assessment, user_id)
        return assessments.attempt_view(assessment, attempt)

    @rpc
    def submit_assessment(self, assessment_id, **payload):
        data = checked(SubmitSchema(), payload)
        user_id, assessment, course = self._assessment_for_learner(assessment_id)
        attempt = assessments.submit(self.db, assessment, user_id, data["answers"])
        enrollment = enrollments.require(self.db, user_id, course["_id"])
        enrollments.touch(self.db, enrollment["_id"])
        about = {
            "user_id": user_id,
            "course_id": course["_id"],
            "assessment_id": assessment["_id"],
            "assessment_title": assessment["title"],
            "course_title": course["title"],
            "attempt": attempt["number"],
            "score": attempt["score"],
        }
        self.events(events.ASSESSMENT_SUBMITTED, **about, passed=attempt["passed"])
        if attempt["passed"] and assessments.first_pass(self.db, attempt):
            self.events(events.ASSESSMENT_PASSED, **about)
        self._settle_completion(enrollments.require(self.db, user_id, course["_id"]), course)
        return assessments.result(self.db, assessment, user_id)

    @rpc
    def assessment_result(self, assessment_id):
        user_id, assessment, _ = self._assessment_for_learner(assessment_id)
        return assessments.result(self.db, assessment, user_id)

    # -- certificates ------------------------------------------------------------

    @rpc
    def my_certificates(self):
        user_id = self._learner()
        return [certificates.view(row, self.certificate_key) for row in certificates.mine(self.db, user_id)]

    @rpc
    def get_certificate(self, certificate_id):
        certificate = certificates.find(self.db, certificate_id)
        self.caller.require_self_or_admin(certificate["user_id"])
        return certificates.view(certificate, self.certificate_key)

    @rpc
    def verify_certificate(self, certificate_id):
        return certificates.verification(certificates.find(self.db, certificate_id), self.certificate_key)

    @rpc
    def certificate_pdf(self, certificate_id):
        certificate = certificates.find(self.db, certificate_id)
        self.caller.require_self_or_admin(certificate["user_id"])
        base = str((self.config.get("TRAINING") or {}).get("PUBLIC_BASE_URL") or "").rstrip("/")
        return certificates.pdf(certificate, f"{base}/training/certificates/{certificate['_id']}/verify")

    # -- analytics -----------------------------------------------------

    @rpc
    def analytics(self, **payload):
        self.caller.require_role(INSTRUCTOR, ADMIN)
        query = checked(AnalyticsQuerySchema(), payload)
        return analytics.report(self.db, self.caller, query["days"], query.get("course_id"))

    @rpc
    def popular_courses(self, **payload):
        query = checked(PopularQuerySchema(), payload)
        return analytics.popular(self.db, self.caller.user_id, query["days"], query["limit"])

    # -- media
    # Media metadata in the ``media`` collection; bytes in S3 or under var/media (training/media_storage.py).

    media_storage = MediaStorage()

    @rpc
    def request_media_upload(self, **payload):
        """A new pending item and where to send its bytes: an S3 presigned POST, or the gateway's upload route."""
        owner_id = self.caller.require_user()  # an item always has an owner, even for operators
        self.caller.require_role(INSTRUCTOR, ADMIN)
        data = checked(media.UploadRequestSchema(), payload)
        content_type = media.allowed_content_type(data["content_type"])
        size = media.check_size(data["size"], self.media_storage.policy.max_bytes)
        doc = media.new_media(owner_id, data["filename"], content_type, size, utcnow(), public=data["public"])
        self.db[media.COLLECTION].insert_one(doc)
        return {"media": media.view(doc), "upload": self.media_storage.upload_target(doc)}

    @rpc
    def put_media_content(self, media_id, token, body_base64=None, content_type=None):
        """The upload route of local storage; its signed token is the credential, as an S3 presigned URL is."""
        storage = self.media_storage
        media.require_local_storage(storage.kind)
        media_id = media.parse_media_id(media_id)
        storage.check_token(media.UPLOAD_PURPOSE, media_id, token)
        doc = media.find_media(self.db[media.COLLECTION], media_id)
        data = media.decode_upload(doc, body_base64, content_type)
        storage.write(doc["storage_key"], data)
        media.mark_uploaded(self.db[media.COLLECTION], media_id, len(data), utcnow(), only_once=True)
        return media.view(media.find_media(self.db[media.COLLECTION], media_id))

    @rpc
    def complete_media_upload(self, media_id):
        """After a direct upload to S3: check what the bucket holds and mark the item uploaded."""
        collection = self.db[media.COLLECTION]
        doc = media.find_media(collection, media_id)
        media.require_manage(doc, self.caller)
        if doc["status"] == media.PENDING:
            storage = self.media_storage
            try:
                stored = media.check_stored(doc, storage.stat(doc["storage_key"]))
            except (PayloadTooLarge, ValidationError):
                # Bytes that break the declaration do not stay in the bucket; the upload target still works.
                storage.delete(doc["storage_key"])
                raise
            media.mark_uploaded(collection, doc["_id"], stored["size"], utcnow())
        return media.view(media.find_media(collection, doc["_id"]))

    @rpc
    def list_media(self, **payload):
        query = checked(media.MediaListSchema(), payload)
        page, size = query["page"], query["page_size"]
        if self.caller.is_admin:
            criteria = {"owner_id": query["owner_id"]} if "owner_id" in query else {}
        else:
            criteria = {"owner_id": self.caller.require_user()}
        collection = self.db[media.COLLECTION]
        cursor = collection.find(criteria).sort([("created_at", -1), ("_id", 1)]).skip(offset_of(page, size))
        items = [media.view(doc) for doc in cursor.limit(size)]
        return page_of(items, collection.count_documents(criteria), page, size)

    @rpc
    def get_media(self, media_id):
        doc = media.find_media(self.db[media.COLLECTION], media_id)
        media.require_view(doc, self.caller)
        return media.view(doc)

    @rpc
    def update_media(self, media_id, **payload):
        """The owner or an admin renames an item or shares it (``public``: any signed-in user may get a URL)."""
        collection = self.db[media.COLLECTION]
        doc = media.find_media(collection, media_id)
        media.require_manage(doc, self.caller)
        changes = checked(media.MediaUpdateSchema(), payload)
        if "filename" in changes:
            changes["filename"] = media.safe_filename(changes["filename"])
        if changes:
            collection.update_one({"_id": doc["_id"]}, {"$set": changes})
        return media.view(media.find_media(collection, doc["_id"]))

    @rpc
    def delete_media(self, media_id):
        collection = self.db[media.COLLECTION]
        doc = media.find_media(collection, media_id)
        media.require_manage(doc, self.caller)
        self.media_storage.delete(doc["storage_key"])
        collection.delete_one({"_id": doc["_id"]})
        return {"deleted": True, "id": doc["_id"]}

    @rpc
    def get_media_url(self, media_id):
        """A time-limited URL: S3 presigned GET, CloudFront signed URL, or the gateway's signed download link."""
        doc = media.find_media(self.db[media.COLLECTION], media_id)
        media.require_view(doc, self.caller)
        media.require_uploaded(doc)
        link = self.media_storage.download_url(doc)
        return {"id": doc["_id"], "content_type": doc["content_type"], "filename": doc["filename"], **link}

    @rpc
    def get_media_content(self, media_id, token):
        """The download route of local storage; the signed, expiring token from ``get_media_url`` is the credential."""
        storage = self.media_storage
        media.require_local_storage(storage.kind)
        media_id = media.parse_media_id(media_id)
        storage.check_token(media.DOWNLOAD_PURPOSE, media_id, token)
        doc = media.find_media(self.db[media.COLLECTION], media_id)
        media.require_uploaded(doc)
        return media.file_of(doc, storage.read(doc["storage_key"]))
