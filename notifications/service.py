"""The notifications service: domain events become messages on the channels each user chose. Entrypoints only.

Every (service, event type) of ``templates.SUBSCRIPTIONS`` gets its own Nameko
event handler, so its own durable queue (``evt-<service>-<TYPE>--notifications.<method>``):
events published while this service is down wait there until it is back.
"""

import logging
import uuid
from datetime import timedelta

from nameko.events import event_handler
from nameko.extensions import DependencyProvider

from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.exceptions import NotFound
from common.mongo import MongoDatabase
from common.pagination import offset_of, page_of
from common.roles import ADMIN, normalize_role
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.timers import ConfiguredTimer
from common.validation import load
from notifications import announcements, outbox
from notifications.channels import senders_from_config
from notifications.preferences import IN_APP, check_changes
from notifications.schemas import AnnouncementSchema, DeliveriesSchema, ListSchema, PreferencesSchema
from notifications.store import ANNOUNCEMENTS as ANNOUNCEMENTS_COLLECTION
from notifications.store import INBOX, NOTIFICATIONS, PREFERENCES, ensure_indexes
from notifications.templates import ANNOUNCEMENTS, SUBSCRIPTIONS, Message, recipients, render

log = logging.getLogger(__name__)

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
RETRY_BATCH = 200
ANNOUNCEMENT_PAGE = 100


class Delivery(DependencyProvider):
    """The senders (``{"email"|"sms"|"push": sender}``) and the claim lease, from config.yaml's NOTIFICATIONS."""

    def setup(self):
        section = self.container.config.get("NOTIFICATIONS") or {}
        self.senders = senders_from_config(section)
        self.lease = timedelta(seconds=float(section.get("SEND_LEASE_SECONDS") or outbox.LEASE.total_seconds()))
        self.announcement_page = int(section.get("ANNOUNCEMENT_PAGE_SIZE") or ANNOUNCEMENT_PAGE)

    def get_dependency(self, worker_ctx):
        return self


class NotificationsService(service_base.PlatformService):
    name = "notifications"

    db = MongoDatabase(ensure_indexes=ensure_indexes)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="mongo")
    delivery = Delivery()
    users = RpcProxy("users")

    # -- events -> messages ------------------------------------------------------

    def handle_event(self, event):
        """Every subscribed event comes here (see the handlers made below the class)."""
        now = utcnow()
        if not outbox.receive(self.db, event, now):
            return  # a redelivered event: handled already
        self._process(event, now)

    def _process(self, event, now):
        message = render(self._with_names(event))
        documents = []
        if message is not None:
            for user_id in recipients(event):
                table = outbox.read_preferences(self.db, user_id)
                documents += outbox.plan(event, message, user_id, table, self._email_of(user_id, event), now)
        outbox.store(self.db, documents)
        outbox.mark_processed(self.db, event["event_id"], now)
        for notification_id in outbox.due_to_send(self.db, event["event_id"]):
            self._send(notification_id, now)

    def _with_names(self, event):
        """Names a template needs that the publisher does not send: the follower's (users sends only ids)."""
        metadata = event.get("metadata") or {}
        if event["event_type"] != events.USER_FOLLOWED or metadata.get("follower_name") or not event.get("user_id"):
            return event
        account = self.users.get_account(str(event["user_id"])) or {}
        name = account.get("name") or account.get("username") or "Someone"
        return {**event, "metadata": {**metadata, "follower_name": name}}

    def _email_of(self, user_id, event):
        metadata = event.get("metadata") or {}
        if metadata.get("email") and str(user_id) == str(event.get("user_id")):
            return metadata["email"]  # codes go to the address they were asked for
        account = self.users.get_account(str(user_id))
        return account["email"] if account else None

    def _send(self, notification_id, now):
        document = outbox.claim(self.db, notification_id, now, self.delivery.lease)
        if document is not None:
            self._attempt(document, now)

    def _attempt(self, document, now):
        status = outbox.attempt(
            self.db,
            document,
            self.delivery.senders,
            now,
            self.settings["max_attempts"],
            self.settings["retry_backoff_seconds"],
        )
        if status == outbox.FAILED:
            log.warning("%s to %s failed for good: %s", document["channel"], document["user_id"], document["_id"])

    @event_handler("users", events.USER_DELETED)
    def on_user_deleted(self, event):
        user_id = event.get("user_id")
        if user_id:
            self.db[PREFERENCES].delete_one({"_id": str(user_id)})
            self.db[NOTIFICATIONS].delete_many({"user_id": str(user_id)})

    # -- timers: retries, interrupted events, digests ------------------------------

    @ConfiguredTimer.decorator("NOTIFICATIONS", "RETRY_INTERVAL", 5)
    def deliver_due(self):
        now = utcnow()
        for event in outbox.stale_events(self.db, now, age=self.delivery.lease):
            self._process(event, now)
        tried = []
        for _ in range(RETRY_BATCH):
            document = outbox.claim_next_due(self.db, now, self.delivery.lease, skip=tried)
            if document is None:
                break
            tried.append(document["_id"])
            self._attempt(document, now)

    @ConfiguredTimer.decorator("NOTIFICATIONS", "DIGEST_INTERVAL", 300)
    def send_digests(self):
        now = utcnow()
        schedule = outbox.DigestSchedule(self.settings["digest_hour_utc"], self.settings["digest_weekday"])
        for (user_id, channel, address, due_at), items in outbox.due_digest_groups(self.db, now, schedule).items():
            digest = outbox.make_digest(self.db, user_id, channel, address, due_at, items, now)
            self._send(digest["_id"], now)

    # -- the user's inbox and preferences ---------------------------------------------

    @rpc
    def list_notifications(self, **payload):
        user_id = self.caller.require_user()
        query = load(ListSchema(), payload)
        mine = {"user_id": user_id, "channel": IN_APP}
        selector = {**mine, "read_at": None} if query["unread"] else mine
        collection = self.db[NOTIFICATIONS]
        cursor = (
            collection.find(selector)
            .sort([("created_at", -1), ("_id", -1)])
            .skip(offset_of(query["page"], query["page_size"]))
            .limit(query["page_size"])
        )
        page = page_of(
            [outbox.public_view(doc) for doc in cursor],
            collection.count_documents(selector),
            query["page"],
            query["page_size"],
        )
        page["unread"] = collection.count_documents({**mine, "read_at": None})
        return page

    @rpc
    def mark_read(self, notification_id):
        user_id = self.caller.require_user()
        collection = self.db[NOTIFICATIONS]
        mine = {"_id": str(notification_id), "user_id": user_id, "channel": IN_APP}
        collection.update_one({**mine, "read_at": None}, {"$set": {"read_at": utcnow()}})
        document = collection.find_one(mine)
        if document is None:
            raise NotFound("No such notification")
        return outbox.public_view(document)

    @rpc
    def mark_all_read(self):
        user_id = self.caller.require_user()
        result = self.db[NOTIFICATIONS].update_many(
            {"user_id": user_id, "channel": IN_APP, "read_at": None}, {"$set": {"read_at": utcnow()}}
        )
        return {"updated": result.modified_count}

    @rpc
    def get_preferences(self):
        return outbox.read_preferences(self.db, self.caller.require_user())

    @rpc
    def update_preferences(self, **payload):
        user_id = self.caller.require_user()
        changes = load(PreferencesSchema(), payload)
        check_changes(changes)
        return outbox.save_preferences(self.db, user_id, changes, utcnow())

    # -- admin -----------------------------------------------------------------------

    @rpc
    def announce(self, **payload):
        """Admin: a message to everyone with a role (or to everyone), by their announcement preferences.

        Only recorded here (with one call to count the audience): ``send_announcements`` pages through the
        users and stores the messages, and the outbox timer sends the emails, so a large audience does not
        hold this request."""
        self.caller.require_role(ADMIN)
        data = load(AnnouncementSchema(), payload)
        role = normalize_role(data["role"]) if data["role"] else None
        filters = {"role": role} if role else {}
        audience = self.users.list_users(page=1, page_size=1, status="active", **filters)["total"]
        announcement = announcements.create(
            self.db, uuid.uuid4().hex, data["subject"], data["text"], role, audience, self.caller.user_id, utcnow()
        )
        return {"announcement_id": announcement["_id"], "role": role, "recipients": audience, "status": "pending"}

    @ConfiguredTimer.decorator("NOTIFICATIONS", "RETRY_INTERVAL", 5)
    def send_announcements(self):
        """Announcements still to send: page through their audience, storing each page's messages."""
        lease, size = self.delivery.lease, self.delivery.announcement_page
        while (announcement := announcements.claim(self.db, utcnow(), lease)) is not None:
            event = announcements.event_of(announcement)
            message = Message(ANNOUNCEMENTS, announcement["subject"], announcement["text"])
            filters = {"role": announcement["role"]} if announcement["role"] else {}
            page = announcement["next_page"]
            while True:
                listing = self.users.list_users(page=page, page_size=size, status="active", **filters)
                users = listing["items"]
                tables = outbox.read_preferences_many(self.db, [user["id"] for user in users])
                now = utcnow()
                documents = []
                for user in users:
                    documents += outbox.plan(
                        event, message, user["id"], tables[str(user["id"])], user.get("email"), now
                    )
                outbox.store(self.db, documents)
                announcements.page_done(self.db, announcement["_id"], page, len(users), now, lease)
                if not users or page * size >= listing["total"]:
                    break
                page += 1
            announcements.finish(self.db, announcement["_id"], utcnow())

    @rpc
    def list_deliveries(self, **payload):
        """Admin: every message on every channel with its status and attempts."""
        self.caller.require_role(ADMIN)
        query = load(DeliveriesSchema(), payload)
        selector = {key: query[key] for key in ("user_id", "status", "channel") if query[key]}
        collection = self.db[NOTIFICATIONS]
        cursor = (
            collection.find(selector)
            .sort([("created_at", -1), ("_id", -1)])
            .skip(offset_of(query["page"], query["page_size"]))
            .limit(query["page_size"])
        )
        return page_of(
            [outbox.delivery_view(doc) for doc in cursor],
            collection.count_documents(selector),
            query["page"],
            query["page_size"],
        )

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        by_status = {
            row["_id"]: row["count"]
            for row in self.db[NOTIFICATIONS].aggregate([{"$group": {"_id": "$status", "count": {"$sum": 1}}}])
        }
        by_channel = {
            row["_id"]: row["count"]
            for row in self.db[NOTIFICATIONS].aggregate([{"$group": {"_id": "$channel", "count": {"$sum": 1}}}])
        }
        return {
            "notifications": sum(by_status.values()),
            "by_status": by_status,
            "by_channel": by_channel,
            "events_received": self.db[INBOX].count_documents({}),
            "announcements_pending": self.db[ANNOUNCEMENTS_COLLECTION].count_documents(
                {"status": announcements.PENDING}
            ),
            "generated_at": isoformat(utcnow()),
        }


def _subscribe(source, event_type):
    def handle(self, event):
        self.handle_event(event)

    handle.__name__ = f"on_{event_type.lower()}"
    return event_handler(source, event_type)(handle)


# One handler (and so one durable queue) per subscribed event; the method name is part of the queue name.
for _source, _event_types in SUBSCRIPTIONS.items():
    for _event_type in _event_types:
        setattr(NotificationsService, f"on_{_event_type.lower()}", _subscribe(_source, _event_type))
