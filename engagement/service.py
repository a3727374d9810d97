"""The engagement service: activity log, points, badges, leaderboard, feedback, tracking, metrics. Entrypoints only.

It consumes every event type of the catalogue (``common.events``), one handler and so one durable queue each
(those it only logs, ``activity.LOGGED_ONLY``, share one), through ``common.consumers``: each event is recorded
in ``inbox`` (without its secrets) before it is handled, a failed handling is retried by the
``handle_interrupted`` timer up to ``MAX_PROCESS_ATTEMPTS`` attempts, and an event that could not even be
recorded goes back to the broker. What an event means is ``reactions.on_event``.
"""

from datetime import timedelta

from common import events as catalogue
from common import service_base
from common.clock import utcnow
from common.consumers import MAX_ATTEMPTS, Consumption, EventConsumer, consume, consume_group
from common.context import Caller
from common.contracts import accepts
from common.events import DomainEvents
from common.exceptions import ValidationError
from common.mongo import MongoDatabase
from common.pagination import offset_of, page_of
from common.roles import ADMIN
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.timers import ConfiguredTimer
from engagement import activity, contracts, feedback, gamification, metrics, reactions, store, tracking

__all__ = ["MAX_ATTEMPTS", "EngagementService"]

SETTINGS = {
    gamification.setting_name(action): Setting(points, f"Points for {action.replace('_', ' ')}", 0, 10_000)
    for action, points in gamification.DEFAULT_POINTS.items()
}
SETTINGS["track_rate_limit_per_minute"] = Setting(
    120, "Client-side tracking events one user may send per minute", 1, 100_000
)
MAX_METRICS_DAYS = 366
RETRY_BATCH = 200


class EngagementService(EventConsumer, service_base.PlatformService):
    name = "engagement"

    db = MongoDatabase(ensure_indexes=store.ensure_indexes)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="mongo")
    events = DomainEvents()
    users = RpcProxy("users")
    consumption = Consumption("ENGAGEMENT")

    # -- every domain event of the catalogue: one handler (one durable queue) each ----------------

    on_user_registered = consume(catalogue.USER_REGISTERED)
    on_user_confirmed = consume(catalogue.USER_CONFIRMED)
    on_user_updated = consume(catalogue.USER_UPDATED)
    on_user_deleted = consume(catalogue.USER_DELETED)
    on_user_followed = consume(catalogue.USER_FOLLOWED)
    on_user_unfollowed = consume(catalogue.USER_UNFOLLOWED)
    on_user_roles_changed = consume(catalogue.USER_ROLES_CHANGED)
    on_registration_attempted = consume(catalogue.REGISTRATION_ATTEMPTED)
    on_user_disabled = consume(catalogue.USER_DISABLED)
    on_user_logged_in = consume(catalogue.USER_LOGGED_IN)
    on_user_logged_out = consume(catalogue.USER_LOGGED_OUT)
    on_login_failed = consume(catalogue.LOGIN_FAILED)
    on_account_locked = consume(catalogue.ACCOUNT_LOCKED)
    on_password_reset_requested = consume(catalogue.PASSWORD_RESET_REQUESTED)
    on_password_changed = consume(catalogue.PASSWORD_CHANGED)
    on_refresh_token_reused = consume(catalogue.REFRESH_TOKEN_REUSED)
    on_course_created = consume(catalogue.COURSE_CREATED)
    on_course_published = consume(catalogue.COURSE_PUBLISHED)
    on_course_enrolled = consume(catalogue.COURSE_ENROLLED)
    on_course_unenrolled = consume(catalogue.COURSE_UNENROLLED)
    on_lesson_completed = consume(catalogue.LESSON_COMPLETED)
    on_video_progress = consume(catalogue.VIDEO_PROGRESS)
    on_course_completed = consume(catalogue.COURSE_COMPLETED)
    on_assessment_submitted = consume(catalogue.ASSESSMENT_SUBMITTED)
    on_assessment_passed = consume(catalogue.ASSESSMENT_PASSED)
    on_certificate_issued = consume(catalogue.CERTIFICATE_ISSUED)
    on_certificate_revoked = consume(catalogue.CERTIFICATE_REVOKED)
    on_certificate_reissued = consume(catalogue.CERTIFICATE_REISSUED)
    on_session_booked = consume(catalogue.SESSION_BOOKED)
    on_session_cancelled = consume(catalogue.SESSION_CANCELLED)
    on_session_rescheduled = consume(catalogue.SESSION_RESCHEDULED)
    on_session_place_changed = consume(catalogue.SESSION_PLACE_CHANGED)
    on_session_completed = consume(catalogue.SESSION_COMPLETED)
    on_note_shared = consume(catalogue.NOTE_SHARED)
    on_event_created = consume(catalogue.EVENT_CREATED)
    on_event_updated = consume(catalogue.EVENT_UPDATED)
    on_event_cancelled = consume(catalogue.EVENT_CANCELLED)
    on_event_registered = consume(catalogue.EVENT_REGISTERED)
    on_event_waitlisted = consume(catalogue.EVENT_WAITLISTED)
    on_event_promoted = consume(catalogue.EVENT_PROMOTED)
    on_event_reminder = consume(catalogue.EVENT_REMINDER)
    on_event_attended = consume(catalogue.EVENT_ATTENDED)
    on_badge_awarded = consume(catalogue.BADGE_AWARDED)
    # What only the log records (authoring, media and settings: activity.LOGGED_ONLY) shares one queue.
    on_logged_only = consume_group("LOGGED_ONLY", *activity.LOGGED_ONLY)

    redact_inbox = staticmethod(activity.scrub)  # the inbox keeps events without their secrets

    def process_event(self, event):
        reactions.on_event(self.db, event, self._rewards(), utcnow())

    def _rewards(self):
        return reactions.Rewards(
            points=lambda action: self.settings[gamification.setting_name(action)],
            publish=self.events,
            get_account=self.users.get_account,
        )

    @ConfiguredTimer.decorator("ENGAGEMENT", "RETRY_INTERVAL", 5)
    def handle_interrupted(self):
        """Events recorded but not processed past their lease (their handler failed or died): handle them again."""
        self.handle_interrupted_events(limit=RETRY_BATCH)

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    # -- admin: the activity log and metrics ---------------------------------------

    @rpc
    @accepts(contracts.ActivityQuery)
    def list_activity(
        self,
        user_id=None,
        actor_id=None,
        action=None,
        type=None,  # noqa: A002
        target_type=None,
        target_id=None,
        request_id=None,
        since=None,
        until=None,
        from_=None,
        to=None,
        page=1,
        page_size=20,
        format="json",  # noqa: A002
    ):
        """Admin: the audit trail, newest first, filtered by subject, actor, action, target, request and period;
        ``format="csv"``: every selected entry (up to ``activity.MAX_CSV_ROWS``) as a CSV file."""
        self.caller.require_role(ADMIN)
        criteria = activity.query_of(
            type=type,
            from_=from_,
            to=to,
            action=action,
            since=since,
            until=until,
            user_id=user_id,
            actor_id=actor_id,
            target_type=target_type,
            target_id=target_id,
            request_id=request_id,
        )
        if format == "csv":
            return activity.export_csv(self.db, criteria)
        return activity.listing(self.db, criteria, page, page_size)

    @rpc
    @accepts(contracts.MetricsQuery)
    def get_metrics(self, since=None, until=None):
        """Admin: daily series over a period (default: the last 30 days)."""
        self.caller.require_role(ADMIN)
        last = until or utcnow().date()
        first = since or last - timedelta(days=29)
        if first > last or (last - first).days >= MAX_METRICS_DAYS:
            raise ValidationError("The period is from <= to, at most a year", {"from": ["bad period"]})
        return metrics.series(self.db, first, last)

    # -- the caller's points, badges; the leaderboard -------------------------------------

    @rpc
    def my_points(self):
        user_id = self.caller.require_user()
        return gamification.points_of(self.db, user_id, gamification.start_of_week(utcnow()))

    @rpc
    def my_badges(self):
        return gamification.badges_of(self.db, self.caller.require_user())

    @rpc
    @accepts(contracts.LeaderboardQuery)
    def leaderboard(self, period="all_time", course_id=None, limit=10):
        self.caller.require_user()
        since = gamification.start_of_week(utcnow()) if period == "week" else None
        items = gamification.leaderboard(self.db, since, course_id, limit)
        return {"period": period, "course_id": course_id, "items": items}

    # -- feedback -------------------------------------------------------------------

    @rpc
    @accepts(contracts.GiveFeedback)
    def give_feedback(self, target, rating, comment=None):
        user_id = self.caller.require_user()
        kind, target_id = feedback.parse_target(target)
        now = utcnow()
        given, created = feedback.give(self.db, user_id, kind, target_id, rating, comment, now)
        if created:
            reactions.feedback_given(self.db, user_id, kind, target_id, self._rewards(), now)
        return {**given, "created": created}

    @rpc
    @accepts(contracts.FeedbackQuery)
    def list_feedback(self, target, page=1, page_size=20):
        self.caller.require_user()
        kind, target_id = feedback.parse_target(target)
        items, total, average = feedback.listing(self.db, kind, target_id, offset_of(page, page_size), page_size)
        return {**page_of(items, total, page, page_size), "target": f"{kind}:{target_id}", "average": average}

    # -- client-side tracking ----------------------------------------------------------

    @rpc
    @accepts(contracts.Track)
    def track(self, type, path=None, course_id=None, lesson_id=None, properties=None):  # noqa: A002
        user_id = self.caller.require_user()
        data = {"type": type, "path": path, "course_id": course_id, "lesson_id": lesson_id, "properties": properties}
        now = utcnow()
        recorded = tracking.record(self.db, user_id, data, self.settings["track_rate_limit_per_minute"], now)
        if type == "lesson_view":
            reactions.lesson_viewed(self.db, user_id, self.events, now)
        return recorded

    # -- admin dashboard ---------------------------------------------------------------

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        return store.stats(self.db, utcnow())
