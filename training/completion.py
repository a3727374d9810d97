"""What follows a learner's progress: the course completed (announced once) and its certificate issued (once).

Completing a lesson, submitting an assessment and reading one's progress all
end in ``settle``: if the requirements are met the course is completed, and a
completed course gets its certificate. A certificate whose issue failed (users
did not answer) is issued by the next settle.
"""

import logging

from common import events
from common.exceptions import ValidationError
from training import assessments, certificates, courses, enrollments, progress, watchtime

log = logging.getLogger(__name__)


class Completion:
    """One worker's view: its database, its events (the outbox), the users lookup and the certificate key."""

    def __init__(self, db, announce, account_of, certificate_key, video_share=100):
        self.video_share = video_share  # percent of a video's duration to watch before it counts as complete
        self.db = db
        self.announce = announce
        self.account_of = account_of
        self.certificate_key = certificate_key

    def settle(self, enrollment, course):
        """Complete the course if its requirements are met; issue the certificate (once) when completed."""
        enrollment, completed_now = progress.try_complete(self.db, enrollment, course)
        if completed_now:
            self.announce(
                events.COURSE_COMPLETED, user_id=enrollment["user_id"], course_id=course["_id"], title=course["title"]
            )
        if enrollment.get("completed_at") is not None:
            self.issue_certificate(enrollment["user_id"], course)
        return enrollment

    def issue_certificate(self, user_id, course):
        if certificates.find_for(self.db, user_id, course["_id"]) is not None:
            return
        try:
            account = self.account_of(user_id) or {}
        except Exception:
            # The course stays completed; the next progress check or completion issues the certificate.
            log.warning("certificate for user %s, course %s postponed: users did not answer", user_id, course["_id"])
            return
        holder = account.get("name") or account.get("username") or account.get("email") or "Learner"
        certificate, created = certificates.issue(self.db, user_id, course, holder, self.certificate_key)
        if created:
            self.announce(
                events.CERTIFICATE_ISSUED,
                user_id=user_id,
                course_id=course["_id"],
                certificate_id=certificate["_id"],
                course_title=course["title"],
            )

    def report(self, enrollment, course):
        result = enrollments.view(enrollment)
        result["missing"] = progress.missing_requirements(self.db, enrollment, course)
        return result

    def complete_lesson(self, user_id, lesson_id):
        course = courses.course_of_lesson(self.db, lesson_id)
        enrollment = enrollments.require(self.db, user_id, course["_id"])
        _, lesson = courses.lesson_of(course, str(lesson_id))
        if not watchtime.watched_enough(self.db, user_id, lesson, self.video_share):
            raise ValidationError(
                "This video is complete once enough of it is watched",
                {"lesson_id": [f"watch {self.video_share:g}% of the video first"]},
            )
        return self._completed(user_id, course, enrollment, lesson_id)

    def complete_if_watched(self, user_id, lesson_id):
        """After a pause: a video lesson of known duration completes itself once enough of it is watched.
        True when the lesson is complete (now or before)."""
        course = courses.course_of_lesson(self.db, lesson_id)
        _, lesson = courses.lesson_of(course, str(lesson_id))
        enrollment = enrollments.require(self.db, user_id, course["_id"])
        if str(lesson_id) in enrollment.get("completed_lesson_ids", []):
            return True
        if not (lesson.get("duration_seconds") or 0) or not watchtime.watched_enough(
            self.db, user_id, lesson, self.video_share
        ):
            return False
        self._completed(user_id, course, enrollment, lesson_id)
        return True

    def _completed(self, user_id, course, enrollment, lesson_id):
        enrollment, newly = progress.complete_lesson(self.db, enrollment, course, str(lesson_id))
        if newly:
            self.announce(
                events.LESSON_COMPLETED,
                user_id=user_id,
                course_id=course["_id"],
                lesson_id=str(lesson_id),
                progress=enrollment["progress"],
            )
        return self.report(self.settle(enrollment, course), course)

    def progress_of(self, caller, course_id):
        user_id = caller.require_user()
        course = courses.visible(self.db, caller, course_id)
        # Settling here too lets a learner collect a certificate whose issue failed earlier (users unreachable).
        enrollment = self.settle(enrollments.require(self.db, user_id, course["_id"]), course)
        return self.report(enrollment, course)

    def submit_assessment(self, caller, assessment_id, answers):
        user_id, assessment, course = assessments.for_learner(self.db, caller, assessment_id)
        attempt = assessments.submit(self.db, assessment, user_id, answers)
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
        self.announce(events.ASSESSMENT_SUBMITTED, **about, passed=attempt["passed"])
        if attempt["passed"] and assessments.first_pass(self.db, attempt):
            self.announce(events.ASSESSMENT_PASSED, **about)
        self.settle(enrollments.require(self.db, user_id, course["_id"]), course)
        return assessments.result(self.db, assessment, user_id)
