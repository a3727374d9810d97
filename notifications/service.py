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
from nameko.rpc import RpcProxy
from nameko.timer import Timer

from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.exceptions import NotFound
from common.mongo import MongoDatabase
from common.pagination import offset_of, page_of
from common.roles import ADMIN, normalize_role
from common.rpc import rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.validation import load
from notifications import outbox
from notifications.channels import senders_from_config
from notifications.preferences import IN_APP, check_changes
from notifications.schemas import AnnouncementSchema, DeliveriesSchema, ListSchema, PreferencesSchema
from notifications.store import INBOX, NOTIFICATIONS, PREFERENCES, ensure_indexes
from notifications.templates import ANNOUNCEMENTS, SUBSCRIPTIONS, Message, recipients, render

log = logging.getLogger(__name__)

SETTINGS = {
    "max_attempts": Setting(5, "Attempts to deliver an email, SMS or push before it is kept as failed", 1, 20),
    "retry_backoff_seconds": Setting(
        30.0, "Wait after the first failed attempt; doubled after each further one", 0.0, 3600.0
    ),
}
RETRY_BATCH = 200
ANNOUNCEMENT_PAGE = 100


class ConfiguredTimer(Timer):
    """A timer whose interval is read from config.yaml's NOTIFICATIONS section at start."""

    def __init__(self, key, default, **kwargs):
        super().__init__(default, **kwargs)
        self.key = key

    def setup(self):
        section = self.container.config.get("NOTIFICATIONS") or {}
        self.interval = float(section.get(self.key) or self.interval)
        super().setup()


class Delivery(DependencyProvider):
    """The senders (``{"email"|"sms"|"push": sender}``) and the claim lease, from config.yaml's NOTIFICATIONS."""

    def setup(self):
        section = self.container.config.get("NOTIFICATIONS") or {}
        self.senders = senders_from_config(section)
        self.lease = timedelta(seconds=float(section.get("SEND_LEASE_SECONDS") or outbox.LEASE.total_seconds()))

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
        message = render(event)
        documents = []
        if message is not None:
            for user_id in recipients(event):
                table = outbox.read_preferences(self.db, user_id)
                documents += outbox.plan(event, message, user_id, table, self._email_of(user_id, event), now)
        outbox.store(self.db, documents)
        outbox.mark_processed(self.db, event["event_id"], now)
        for notification_id in outbox.due_to_send(self.db, event["event_id"]):
            self._send(notification_id, now)

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

    @ConfiguredTimer.decorator("RETRY_INTERVAL", 5)
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

    @ConfiguredTimer.decorator("DIGEST_INTERVAL", 300)
    def send_digests(self):
        now = utcnow()
        for (user_id, channel, address, due_at), items in outbox.due_digest_groups(self.db, now).items():
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
        """Admin: a message to everyone with a role (or to everyone), by their announcement preferences."""
        self.caller.require_role(ADMIN)
        data = load(AnnouncementSchema(), payload)
        role = normalize_role(data["role"]) if data["role"] else None
        now = utcnow()
        announcement_id = uuid.uuid4().hex
        event = {"event_id": f"announcement-{announcement_id}", "event_type": "ANNOUNCEMENT", "user_id": None}
        message = Message(ANNOUNCEMENTS, data["subject"], data["text"])
        filters = {"role": role} if role else {}
        page, recipients_count = 1, 0
        while True:
            listing = self.users.list_users(page=page, page_size=ANNOUNCEMENT_PAGE, status="active", **filters)
            documents = []
            for user in listing["items"]:
                table = outbox.read_preferences(self.db, user["id"])
                documents += outbox.plan(event, message, user["id"], table, user.get("email"), now)
            outbox.store(self.db, documents)
            recipients_count += len(listing["items"])
            if page * ANNOUNCEMENT_PAGE >= listing["total"] or not listing["items"]:
                break
            page += 1
        # Emails and texts go out from the outbox timer, so a large audience does not hold this request.
        return {"announcement_id": announcement_id, "role": role, "recipients": recipients_count}

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
