"""Entrypoints of a learner's side: enrollment, progress and completion, watch time, attendance, certificates."""

from common.clock import utcnow
from common.contracts import accepts
from common.ids import parse_uuid
from common.pagination import offset_of, page_of, page_of_list
from common.roles import ADMIN
from common.rpc import rpc
from training import attendance, certificates, contracts, enrollments, videos, watchtime


class LearningEntrypoints:
    def _attendance_minimum(self):
        return self.settings["attendance_min_seconds"]

    # -- enrollment and progress

    @rpc
    def enroll(self, course_id):
        return enrollments.join(self.store.session, self.events, self.caller, course_id)

    @rpc
    def unenroll(self, course_id):
        return enrollments.leave(self.store.session, self.events, self.caller, course_id)

    @rpc
    def enrollment_status(self, course_id):
        return enrollments.status(self.store.session, self.caller, course_id)

    @rpc
    @accepts(contracts.EnrollmentPage)
    def my_enrollments(self, page, page_size):
        user_id = self.caller.require_user()
        items, total = enrollments.mine(self.store.session, user_id, offset_of(page, page_size), page_size)
        return page_of(items, total, page, page_size)

    @rpc
    def complete_lesson(self, lesson_id):
        return self._completion().complete_lesson(self.caller.require_user(), lesson_id)

    @rpc
    def course_progress(self, course_id):
        return self._completion().progress_of(self.caller, course_id)

    # -- watch time and attendance

    @rpc
    @accepts(contracts.VideoWatch)
    def track_progress(self, video_id, start_time=None, end_time=None, watchtime_seconds=None):
        user_id = self.caller.require_user()
        result = videos.track(
            self.store.session, self.events, user_id, video_id, start_time, end_time, watchtime_seconds
        )
        if result["event"] == "pause":
            result["lesson_completed"] = self._completion().complete_if_watched(user_id, video_id)
        return result

    @rpc
    @accepts(contracts.ListPage)
    def video_progress(self, video_id, page, page_size):
        rows = videos.watched(self.store.session, self.caller.require_user(), video_id)
        return page_of_list(rows, page, page_size)

    def _attendance_between(self, user_id, since, until, page, page_size):
        days = attendance.days_between(since, until, utcnow().date())
        rows = attendance.of_user_between(self.store.session, user_id, days, self._attendance_minimum())
        return page_of_list(rows, page, page_size)

    @rpc
    @accepts(contracts.AttendanceRange)
    def my_attendance(self, page, page_size, since=None, until=None):
        return self._attendance_between(self.caller.require_user(), since, until, page, page_size)

    @rpc
    def attendance_today(self):
        today = watchtime.day_of(utcnow())
        return attendance.of_user_on(self.store.session, self.caller.require_user(), today, self._attendance_minimum())

    @rpc
    @accepts(contracts.AttendanceRange)
    def user_attendance(self, user_id, page, page_size, since=None, until=None):
        self.caller.require_role(ADMIN)
        return self._attendance_between(str(parse_uuid(user_id)), since, until, page, page_size)

    @rpc
    @accepts(contracts.ListPage)
    def attendance_on(self, date, page, page_size):
        self.caller.require_role(ADMIN)
        rows = attendance.on_day(self.store.session, attendance.parse_day(date), self._attendance_minimum())
        return page_of_list(rows, page, page_size)

    # -- certificates

    @rpc
    @accepts(contracts.ListPage)
    def my_certificates(self, page, page_size):
        rows, total = self.store.certificates.page_of_user(
            self.caller.require_user(), offset_of(page, page_size), page_size
        )
        rows = certificates.with_replacements(self.store.session, list(rows))
        return page_of([certificates.view(row, self.certificate_key) for row in rows], total, page, page_size)

    @rpc
    def get_certificate(self, certificate_id):
        certificate = certificates.find(self.store.session, certificate_id)
        self.caller.require_self_or_admin(certificate["user_id"])
        return certificates.view(certificate, self.certificate_key)

    @rpc
    def verify_certificate(self, certificate_id):
        return certificates.verification(certificates.find(self.store.session, certificate_id), self.certificate_key)

    @rpc
    def certificate_pdf(self, certificate_id):
        certificate = certificates.find(self.store.session, certificate_id)
        self.caller.require_self_or_admin(certificate["user_id"])
        return certificates.pdf(certificate, certificates.verify_link(self.config, certificate["_id"]))

    # -- certificates: revocation and reissue (admin or the course's instructor)

    @rpc
    @accepts(contracts.CertificateRevocation)
    def revoke_certificate(self, certificate_id, reason):
        revoked = certificates.revoke(self.store.session, self.events, self.caller, certificate_id, reason)
        return certificates.view(revoked, self.certificate_key)

    @rpc
    @accepts(contracts.CertificateReissue)
    def reissue_certificate(self, certificate_id, reason=None):
        old = certificates.find(self.store.session, certificate_id)
        certificates.require_manager(self.caller, old)
        try:
            # The holder's current name: a reissue is how a corrected name reaches the certificate.
            account = self.users.get_account(old["user_id"]) or {}
        except Exception:
            account = {}
        holder = account.get("name") or old["holder_name"]
        reissued = certificates.reissue(
            self.store.session, self.events, self.caller, certificate_id, reason, holder, self.certificate_key
        )
        return certificates.view(reissued, self.certificate_key)
