"""The engagement service: activity log, points, badges, leaderboard, feedback, tracking, metrics. Entrypoints only.

Every (service, event type) of ``activity.SOURCES`` gets its own Nameko event
handler and so its own durable queue. Each event is recorded in ``inbox``
(``common.inbox``, without its secrets) before it is handled and marked
processed after, so an event whose handling failed is handled again by the
``handle_interrupted`` timer, up to ``MAX_PROCESS_ATTEMPTS`` attempts; if even
recording it fails, the handler raises and the event goes back to the broker
(the handlers requeue on error). Handling an event twice changes nothing (the
log is keyed by event_id, the ledger and badges by unique keys).
"""

import logging
from datetime import timedelta

import eventlet
from nameko.events import event_handler
from nameko.extensions import DependencyProvider

from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.events import DomainEvents
from common.exceptions import ValidationError
from common.inbox import LEASE, Inbox
from common.mongo import MongoDatabase
from common.pagination import offset_of, page_of
from common.roles import ADMIN
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.timers import ConfiguredTimer
from common.validation import load, reject_mongo_operators
from engagement import activity, feedback, gamification, metrics, tracking
from engagement.schemas import (
    ActivityQuerySchema,
    FeedbackQuerySchema,
    FeedbackSchema,
    LeaderboardQuerySchema,
    MetricsQuerySchema,
    TrackSchema,
)
from engagement.store import ACTIVITY, BADGES, FEEDBACK, INBOX, PEOPLE, POINTS, TRACKING, ensure_indexes

log = logging.getLogger(__name__)

SETTINGS = {
    gamification.setting_name(action): Setting(points, f"Points for {action.replace('_', ' ')}", 0, 10_000)
    for action, points in gamification.DEFAULT_POINTS.items()
}
SETTINGS["track_rate_limit_per_minute"] = Setting(
    120, "Client-side tracking events one user may send per minute", 1, 100_000
)
MAX_METRICS_DAYS = 366
RETRY_BATCH = 200
# Attempts at handling an event (the first included) before it is kept as failed.
MAX_ATTEMPTS = 10


def _section(container):
    return container.config.get("ENGAGEMENT") or {}


class Consumption(DependencyProvider):
    """How events are handled again (config.yaml's ENGAGEMENT): the lease before an unfinished event is
    retried, the attempts before it is kept as failed, the pause before an event that could not even be
    recorded goes back to the broker."""

    def setup(self):
        section = _section(self.container)
        self.lease = timedelta(seconds=float(section.get("PROCESS_LEASE_SECONDS") or LEASE.total_seconds()))
        self.max_attempts = int(section.get("MAX_PROCESS_ATTEMPTS") or MAX_ATTEMPTS)
        requeue_delay = section.get("REQUEUE_DELAY_SECONDS")
        self.requeue_delay = 1.0 if requeue_delay is None else float(requeue_delay)

    def get_dependency(self, worker_ctx):
        return self


class EngagementService(service_base.PlatformService):
    name = "engagement"

    db = MongoDatabase(ensure_indexes=ensure_indexes)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="mongo")
    events = DomainEvents()
    users = RpcProxy("users")
    consumption = Consumption()

    # -- every domain event -------------------------------------------------------

    def _inbox(self):
        """Events as received (``common.inbox``), kept without their secrets."""
        return Inbox(self.db[INBOX], self.consumption.lease, redact=activity.scrub)

    def handle_event(self, event):
        """Every subscribed event comes here (see the handlers made below the class)."""
        if not activity.well_formed(event):
            log.warning("engagement dropped an event without event_id or event_type: %.200r", event)
            return
        try:
            fresh = self._inbox().receive(event, utcnow())
        except Exception:
            # Not even recorded: raising gives it back to the broker (the handlers requeue on error),
            # after a pause so that a store that is down is not hammered with the same message.
            log.warning("engagement could not record %s; it goes back to the queue", event["event_id"])
            eventlet.sleep(self.consumption.requeue_delay)
            raise
        if fresh:
            self._handle_recorded(event)

    def _handle_recorded(self, event):
        """Handle a recorded event; if that fails it stays ``received`` and the retry timer handles it again."""
        try:
            self._process(event)
        except Exception as exc:
            log.exception(
                "engagement failed to handle %s %s; it will be retried", event["event_type"], event["event_id"]
            )
            try:
                self._inbox().record_error(event["event_id"], exc)
            except Exception:
                log.warning("could not record the error of %s", event["event_id"])
            return False
        self._inbox().mark_processed(event["event_id"], utcnow())
        return True

    def _process(self, event):
        """What an event means for engagement. Every step is idempotent: safe to run again."""
        activity.record(self.db, event, utcnow())
        activity.remember_facts(self.db, event)
        user_id = event.get("user_id")
        if not user_id:
            return
        metadata = event.get("metadata") or {}
        if event["event_type"] == events.USER_UPDATED:
            self._follow_profile(user_id, event, metadata)
        if event["event_type"] == events.USER_DELETED:
            # The account is gone: so are its standings and feedback. The activity log stays (the audit trail).
            self.db[PEOPLE].delete_one({"_id": user_id})
            for collection in (POINTS, BADGES, FEEDBACK):
                self.db[collection].delete_many({"user_id": user_id})
            return
        action = gamification.ACTION_OF.get(event["event_type"])
        if action is not None:
            gamification.award_points(
                self.db,
                user_id,
                action,
                self.settings[gamification.setting_name(action)],
                gamification.subject_of(event),
                activity.moment_of(event),
                course_id=event.get("course_id"),
            )
        day = activity.moment_of(event).date() if event["event_type"] in activity.LEARNING else None
        self._check_badges(user_id, event["event_type"], day)

    def _follow_profile(self, user_id, event, metadata):
        """USER_UPDATED: a new name (asked of users), a changed ``show_on_leaderboard`` (carried by the event)."""
        if "name" in (metadata.get("fields") or ()):
            account = self.users.get_account(user_id)
            if account is not None:
                self.db[PEOPLE].update_one({"_id": user_id}, {"$set": {"name": account["name"]}}, upsert=True)
        preferences = metadata.get("preferences")
        if isinstance(preferences, dict) and isinstance(preferences.get("show_on_leaderboard"), bool):
            gamification.set_leaderboard_visibility(
                self.db, user_id, preferences["show_on_leaderboard"], activity.moment_of(event)
            )

    def _check_badges(self, user_id, event_type, day=None):
        earned = gamification.earned_badges(self.db, user_id, event_type, day)
        for badge in earned:
            gamification.award_badge(self.db, user_id, badge, utcnow())
        if earned:
            self._announce_badges(user_id)

    def _announce_badges(self, user_id):
        """Save BADGE_AWARDED for each badge not announced yet. Its event_id is made from the badge, so if a
        handler dies between saving it in the outbox and noting it, saving it again changes nothing."""
        for doc in gamification.unannounced(self.db, user_id):
            name = doc.get("name") or doc["badge"]
            self.events(
                events.BADGE_AWARDED,
                user_id=user_id,
                envelope_id=f"badge-{doc['_id']}",
                badge=doc["badge"],
                badge_name=name,
                title=name,
            )
            gamification.mark_announced(self.db, doc["_id"])

    @ConfiguredTimer.decorator("ENGAGEMENT", "RETRY_INTERVAL", 5)
    def handle_interrupted(self):
        """Events recorded but not processed past their lease (their handler failed or died): handle them again."""
        self._inbox().handle_stale(
            utcnow(), self._handle_recorded, max_attempts=self.consumption.max_attempts, limit=RETRY_BATCH
        )

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    # -- admin: the activity log and metrics ---------------------------------------

    @rpc
    def list_activity(self, **payload):
        """Admin: the audit trail, newest first; filters by user, event type and period."""
        self.caller.require_role(ADMIN)
        query = load(ActivityQuerySchema(), payload)
        selector = {}
        if query["user_id"]:
            selector["user_id"] = query["user_id"]
        if query["type"]:
            selector["event_type"] = query["type"]
        period = {}
        if query["from"]:
            period["$gte"] = query["from"]
        if query["to"]:
            period["$lte"] = query["to"]
        if period:
            selector["timestamp"] = period
        cursor = (
            self.db[ACTIVITY]
            .find(selector)
            .sort([("timestamp", -1), ("_id", 1)])
            .skip(offset_of(query["page"], query["page_size"]))
            .limit(query["page_size"])
        )
        return page_of(
            [activity.log_view(doc) for doc in cursor],
            self.db[ACTIVITY].count_documents(selector),
            query["page"],
            query["page_size"],
        )

    @rpc
    def get_metrics(self, **payload):
        """Admin: daily series over a period (default: the last 30 days)."""
        self.caller.require_role(ADMIN)
        query = load(MetricsQuerySchema(), payload)
        last = query["to"] or utcnow().date()
        first = query["from"] or last - timedelta(days=29)
        if first > last or (last - first).days >= MAX_METRICS_DAYS:
            raise ValidationError("The period is from <= to, at most a year", {"from": ["bad period"]})
        return metrics.series(self.db, first, last)

    # -- the caller's points, badges; the leaderboard -------------------------------------

    @rpc
    def my_points(self):
        user_id = self.caller.require_user()
        return gamification.points_of(self.db, user_id, self._week_start())

    @rpc
    def my_badges(self):
        return gamification.badges_of(self.db, self.caller.require_user())

    @rpc
    def leaderboard(self, **payload):
        self.caller.require_user()
        query = load(LeaderboardQuerySchema(), payload)
        since = self._week_start() if query["period"] == "week" else None
        return {
            "period": query["period"],
            "course_id": query["course_id"],
            "items": gamification.leaderboard(self.db, since, query["course_id"], query["limit"]),
        }

    def _week_start(self):
        now = utcnow()
        return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=now.weekday())

    # -- feedback -------------------------------------------------------------------

    @rpc
    def give_feedback(self, **payload):
        user_id = self.caller.require_user()
        data = load(FeedbackSchema(), payload)
        kind, target_id = feedback.parse_target(data["target"])
        now = utcnow()
        given, created = feedback.give(self.db, user_id, kind, target_id, data["rating"], data["comment"], now)
        if created:
            gamification.award_points(
                self.db,
                user_id,
                gamification.FEEDBACK_GIVEN,
                self.settings[gamification.setting_name(gamification.FEEDBACK_GIVEN)],
                f"{kind}={target_id}",
                now,
                course_id=target_id if kind == "course" else None,
            )
            gamification.award_badge(self.db, user_id, gamification.FIRST_FEEDBACK, now)
            self._announce_badges(user_id)
        return {**given, "created": created}

    @rpc
    def list_feedback(self, **payload):
        self.caller.require_user()
        query = load(FeedbackQuerySchema(), payload)
        kind, target_id = feedback.parse_target(query["target"])
        items, total, average = feedback.listing(
            self.db, kind, target_id, offset_of(query["page"], query["page_size"]), query["page_size"]
        )
        page = page_of(items, total, query["page"], query["page_size"])
        page.update(target=f"{kind}:{target_id}", average=average)
        return page

    # -- client-side tracking ----------------------------------------------------------

    @rpc
    def track(self, **payload):
        user_id = self.caller.require_user()
        data = load(TrackSchema(), payload)
        reject_mongo_operators(data["properties"], "properties")
        now = utcnow()
        tracking.hit(self.db, user_id, self.settings["track_rate_limit_per_minute"], now)
        recorded = tracking.store(self.db, user_id, data, now)
        if data["type"] == "lesson_view":
            activity.mark_learning_day(self.db, user_id, now.date().isoformat())
            self._check_badges(user_id, "TRACKED_LESSON_VIEW", now.date())
        return recorded

    # -- admin dashboard ---------------------------------------------------------------

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        since = utcnow() - timedelta(days=1)
        points = list(self.db[POINTS].aggregate([{"$group": {"_id": None, "sum": {"$sum": "$points"}}}]))
        return {
            "activities": self.db[ACTIVITY].count_documents({}),
            "activities_last_24h": self.db[ACTIVITY].count_documents({"timestamp": {"$gte": since}}),
            "points_awarded": points[0]["sum"] if points else 0,
            "badges_awarded": self.db[BADGES].count_documents({}),
            "feedback": self.db[FEEDBACK].count_documents({}),
            "tracked_events": self.db[TRACKING].count_documents({}),
            "events_by_status": self._inbox().counts(),
            "generated_at": isoformat(utcnow()),
        }


def _subscribe(source, event_type):
    def handle(self, event):
        self.handle_event(event)

    handle.__name__ = f"on_{event_type.lower()}"
    # requeue_on_error: an event that could not even be recorded goes back to the queue (see handle_event);
    # once recorded, a failure is left to the retry timer and the handler returns normally.
    return event_handler(source, event_type, requeue_on_error=True)(handle)


# One handler (and so one durable queue) per event type; the method name is part of the queue name.
for _source, _event_types in activity.SOURCES.items():
    for _event_type in _event_types:
        setattr(EngagementService, f"on_{_event_type.lower()}", _subscribe(_source, _event_type))
