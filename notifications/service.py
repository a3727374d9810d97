"""The notifications service: domain events become messages on the channels each user chose. Entrypoints only.

It handles every event type that has a template (``templates.SUBSCRIBED``), one handler and so one durable
queue each (``evt-<publisher>-<TYPE>--notifications.on_<type>``), through ``common.consumers``: events
published while this service is down wait there until it is back; each is recorded in ``inbox`` before its
messages are stored (``fanout``) and sent (``sending``, or the outbox timer for a large audience).
"""

import uuid
from functools import partial

from nameko.events import event_handler

from common import events as catalogue
from common import service_base
from common.clock import utcnow
from common.consumers import Consumption, EventConsumer, consume
from common.context import Caller
from common.contracts import accepts
from common.events import DomainEvents
from common.mongo import MongoDatabase
from common.roles import ADMIN, normalize_role
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.timers import ConfiguredTimer
from notifications import announcements, contracts, emails, fanout, history, outbox
from notifications.backlog import BacklogEventHandler
from notifications.delivery import Delivery
from notifications.preferences import EMAIL, NEVER, check_changes
from notifications.sending import Sender
from notifications.store import ensure_indexes
from notifications.unsubscribe import Unsubscribing

__all__ = ["Delivery", "NotificationsService"]

SETTINGS = {
    "max_attempts": Setting(5, "Attempts to deliver an email, SMS or push before it is kept as failed", 1, 20),
    "retry_backoff_seconds": Setting(
        30.0, "Wait after the first failed attempt; doubled after each further one", 0.0, 3600.0
    ),
    "digest_hour_utc": Setting(
        0.0, "Hour of the day (UTC; 7.5 is 07:30) when daily and weekly digests go out", 0.0, 24.0
    ),
    "digest_weekday": Setting(0, "Day weekly digests go out: 0 is Monday, 6 is Sunday", 0, 6),
}


class NotificationsService(EventConsumer, service_base.PlatformService):
    name = "notifications"

    db = MongoDatabase(ensure_indexes=ensure_indexes)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="mongo")
    delivery = Delivery()
    unsubscribing = Unsubscribing()
    # One lease for an event's handling and a message's sending (NOTIFICATIONS.SEND_LEASE_SECONDS).
    consumption = Consumption("NOTIFICATIONS", lease_key="SEND_LEASE_SECONDS")
    users = RpcProxy("users")
    # What it publishes (SETTING_CHANGED, for its runtime settings) goes through an outbox like every publisher's.
    events = DomainEvents()

    # -- events -> messages: one handler per event type with a template (at most EVENT_CONCURRENCY at once) --

    on_user_registered = consume(catalogue.USER_REGISTERED, BacklogEventHandler)
    on_user_confirmed = consume(catalogue.USER_CONFIRMED, BacklogEventHandler)
    on_user_followed = consume(catalogue.USER_FOLLOWED, BacklogEventHandler)
    on_registration_attempted = consume(catalogue.REGISTRATION_ATTEMPTED, BacklogEventHandler)
    on_password_reset_requested = consume(catalogue.PASSWORD_RESET_REQUESTED, BacklogEventHandler)
    on_password_changed = consume(catalogue.PASSWORD_CHANGED, BacklogEventHandler)
    on_refresh_token_reused = consume(catalogue.REFRESH_TOKEN_REUSED, BacklogEventHandler)
    on_account_locked = consume(catalogue.ACCOUNT_LOCKED, BacklogEventHandler)
    on_course_enrolled = consume(catalogue.COURSE_ENROLLED, BacklogEventHandler)
    on_course_completed = consume(catalogue.COURSE_COMPLETED, BacklogEventHandler)
    on_assessment_submitted = consume(catalogue.ASSESSMENT_SUBMITTED, BacklogEventHandler)
    on_assessment_passed = consume(catalogue.ASSESSMENT_PASSED, BacklogEventHandler)
    on_certificate_issued = consume(catalogue.CERTIFICATE_ISSUED, BacklogEventHandler)
    on_certificate_revoked = consume(catalogue.CERTIFICATE_REVOKED, BacklogEventHandler)
    on_certificate_reissued = consume(catalogue.CERTIFICATE_REISSUED, BacklogEventHandler)
    on_session_booked = consume(catalogue.SESSION_BOOKED, BacklogEventHandler)
    on_session_cancelled = consume(catalogue.SESSION_CANCELLED, BacklogEventHandler)
    on_session_rescheduled = consume(catalogue.SESSION_RESCHEDULED, BacklogEventHandler)
    on_session_place_changed = consume(catalogue.SESSION_PLACE_CHANGED, BacklogEventHandler)
    on_note_shared = consume(catalogue.NOTE_SHARED, BacklogEventHandler)
    on_event_registered = consume(catalogue.EVENT_REGISTERED, BacklogEventHandler)
    on_event_waitlisted = consume(catalogue.EVENT_WAITLISTED, BacklogEventHandler)
    on_event_promoted = consume(catalogue.EVENT_PROMOTED, BacklogEventHandler)
    on_event_reminder = consume(catalogue.EVENT_REMINDER, BacklogEventHandler)
    on_event_updated = consume(catalogue.EVENT_UPDATED, BacklogEventHandler)
    on_event_cancelled = consume(catalogue.EVENT_CANCELLED, BacklogEventHandler)
    on_badge_awarded = consume(catalogue.BADGE_AWARDED, BacklogEventHandler)

    # A failed handling fails the worker too (Nameko logs and counts it); the inbox retries it seconds later.
    failed_handling_raises = True

    def now(self):
        # The consumer's clock read through this module: one name for every time this service takes.
        return utcnow()

    def process_event(self, event):
        """Store the event's messages for every recipient (the inbox lease renewed after each page)."""
        return fanout.store_messages(
            self.db,
            event,
            self.now(),
            self.users.get_account,
            lambda user_ids: self.delivery.accounts.get(user_ids, self.users.get_accounts),
            lambda: self._inbox().renew(event["event_id"], self.now()),
        )

    def event_processed(self, event, people):
        """A small audience is sent to at once; a large one is left to the outbox timer (``deliver_due``)."""
        if people <= self.delivery.inline_send_recipients:
            self._sender().send_event(event["event_id"], self.now())

    def _sender(self):
        return Sender(
            self.db,
            self.delivery.senders,
            self.delivery.lease,
            self.settings["max_attempts"],
            self.settings["retry_backoff_seconds"],
            partial(emails.compose, links=self.unsubscribing),
        )

    @event_handler(catalogue.publisher_of(catalogue.USER_DELETED), catalogue.USER_DELETED)
    def on_user_deleted(self, event):
        if event.get("user_id"):
            history.forget_user(self.db, event["user_id"])

    # -- timers: retries, interrupted events, digests, announcements ------------------------

    @ConfiguredTimer.decorator("NOTIFICATIONS", "RETRY_INTERVAL", 5)
    def deliver_due(self):
        # Interrupted events first (claimed one at a time, leased: replicas do not share one), then due retries;
        # an event that cannot be handled is retried at most MAX_PROCESS_ATTEMPTS times and holds nothing back.
        self.handle_interrupted_events()
        self._sender().send_due_retries(self.now())

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    @ConfiguredTimer.decorator("NOTIFICATIONS", "DIGEST_INTERVAL", 300)
    def send_digests(self):
        schedule = outbox.DigestSchedule(self.settings["digest_hour_utc"], self.settings["digest_weekday"])
        self._sender().send_digests(self.now(), schedule)

    @ConfiguredTimer.decorator("NOTIFICATIONS", "RETRY_INTERVAL", 5)
    def send_announcements(self):
        """Announcements still to send, their audience a page at a time (``announcements.send_pending``)."""
        announcements.send_pending(
            self.db, self.delivery.lease, self.delivery.announcement_page, self.users.list_accounts, self.now
        )

    # -- the user's inbox and preferences ---------------------------------------------

    @rpc
    @accepts(contracts.NotificationQuery)
    def list_notifications(self, unread=False, page=1, page_size=20):
        return history.inbox_page(self.db, self.caller.require_user(), unread, page, page_size)

    @rpc
    def mark_read(self, notification_id):
        return history.mark_read(self.db, self.caller.require_user(), notification_id, self.now())

    @rpc
    def mark_all_read(self):
        return history.mark_all_read(self.db, self.caller.require_user(), self.now())

    @rpc
    def get_preferences(self):
        return outbox.read_preferences(self.db, self.caller.require_user())

    @rpc
    @accepts(contracts.NotificationPreferenceChanges, changes="changes")
    def update_preferences(self, changes):
        user_id = self.caller.require_user()
        check_changes(changes)
        return outbox.save_preferences(self.db, user_id, changes, self.now())

    # -- admin -----------------------------------------------------------------------

    # -- one-click unsubscribe: the signed link is the credential (no login) ---------------

    @rpc
    @accepts(contracts.UnsubscribeToken)
    def read_unsubscribe_link(self, token):
        """What the link would turn off, for its confirmation page (nothing is changed)."""
        _, category = self.unsubscribing.read(token)
        return {"category": category, "channel": EMAIL, "token": token}

    @rpc
    @accepts(contracts.UnsubscribeToken)
    def unsubscribe(self, token):
        """Turn the link's category's email off in its owner's preferences (RFC 8058's one-click POST)."""
        user_id, category = self.unsubscribing.read(token)
        outbox.save_preferences(self.db, user_id, {"categories": {category: {EMAIL: NEVER}}}, self.now())
        return {"category": category, "channel": EMAIL, "unsubscribed": True}

    @rpc
    @accepts(contracts.NewAnnouncement)
    def announce(self, subject, text, role=None):
        """Admin: a message to everyone with a role (or to everyone), by their announcement preferences.

        Only recorded here (with one call to count the audience): ``send_announcements`` pages through the
        users and stores the messages, and the outbox timer sends the emails, so a large audience does not
        hold this request."""
        self.caller.require_role(ADMIN)
        role = normalize_role(role) if role else None
        filters = {"role": role} if role else {}
        audience = self.users.list_users(page=1, page_size=1, status="active", **filters)["total"]
        announcement = announcements.create(
            self.db, uuid.uuid4().hex, subject, text, role, audience, self.caller.user_id, self.now()
        )
        return {"announcement_id": announcement["_id"], "role": role, "recipients": audience, "status": "pending"}

    @rpc
    @accepts(contracts.DeliveryQuery)
    def list_deliveries(self, user_id=None, status=None, channel=None, page=1, page_size=20):
        """Admin: every message on every channel with its status and attempts."""
        self.caller.require_role(ADMIN)
        return history.deliveries_page(self.db, user_id, status, channel, page, page_size)

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        return history.stats(self.db, self.now())
