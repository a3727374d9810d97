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
from common.inbox import Inbox
from common.mongo import MongoDatabase
from common.pagination import MAX_PAGE_SIZE, offset_of, page_of
from common.roles import ADMIN, normalize_role
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.timers import ConfiguredTimer
from common.validation import load
from notifications import announcements, outbox
from notifications import preferences as prefs
from notifications.accounts import AccountBatcher
from notifications.backlog import backlog_handler
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
STALE_BATCH = 100
MAX_PROCESS_ATTEMPTS = 10
# users answers at most a page (common.pagination.MAX_PAGE_SIZE) per call: list_accounts and get_accounts.
ANNOUNCEMENT_PAGE = MAX_PAGE_SIZE
ACCOUNTS_PER_CALL = MAX_PAGE_SIZE
# An event for more people than this leaves its emails, SMS and pushes to the outbox timer (deliver_due)
# rather than sending them inside the handler.
INLINE_SEND_RECIPIENTS = 10
# An event whose handling failed (users timed out, most often) is tried again this soon, then 2x, 4x, ...
EVENT_RETRY_SECONDS = 5.0


def page_size_from_config(value):
    """``NOTIFICATIONS.ANNOUNCEMENT_PAGE_SIZE``, kept within what users answers (1 to ``MAX_PAGE_SIZE``): a
    larger page would be refused by users on every run, and no announcement would ever go out."""
    size = int(value or ANNOUNCEMENT_PAGE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        clamped = min(max(size, 1), MAX_PAGE_SIZE)
        log.warning("NOTIFICATIONS.ANNOUNCEMENT_PAGE_SIZE %s is outside 1..%s: using %s", size, MAX_PAGE_SIZE, clamped)
        size = clamped
    return size


class Delivery(DependencyProvider):
    """The senders (``{"email"|"sms"|"push": sender}``), the claim lease and the fan-out sizes, from
    config.yaml's NOTIFICATIONS."""

    def setup(self):
        section = self.container.config.get("NOTIFICATIONS") or {}
        self.senders = senders_from_config(section)
        self.lease = timedelta(seconds=float(section.get("SEND_LEASE_SECONDS") or outbox.LEASE.total_seconds()))
        self.announcement_page = page_size_from_config(section.get("ANNOUNCEMENT_PAGE_SIZE"))
        attempts = section.get("MAX_PROCESS_ATTEMPTS")
        self.max_process_attempts = MAX_PROCESS_ATTEMPTS if attempts in (None, "") else int(attempts)
        inline = section.get("INLINE_SEND_RECIPIENTS")
        self.inline_send_recipients = INLINE_SEND_RECIPIENTS if inline is None else int(inline)
        retry = section.get("EVENT_RETRY_SECONDS")
        self.event_retry_delay = timedelta(seconds=EVENT_RETRY_SECONDS if retry in (None, "") else float(retry))
        # One per process: the lookups of workers handling events side by side become one call to users.
        self.accounts = AccountBatcher(max_ids=ACCOUNTS_PER_CALL)

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

    def _inbox(self):
        """Events as received (``common.inbox``), kept whole: a retry renders the messages, codes included,
        from the recorded event."""
        return Inbox(self.db[INBOX], self.delivery.lease, retry_delay=self.delivery.event_retry_delay)

    def handle_event(self, event):
        """Every subscribed event comes here (see the handlers made below the class: at most
        ``EVENT_CONCURRENCY`` at a time, ``notifications.backlog``)."""
        now = utcnow()
        inbox = self._inbox()
        if not inbox.receive(event, now):
            return  # a redelivered event: handled already
        try:
            self._process(event, now)
        except Exception as exc:
            # Tried again by deliver_due in seconds, not after the whole lease.
            inbox.retry_soon(event["event_id"], exc, utcnow())
            raise

    def _process(self, event, now):
        """Store the event's messages for every recipient, a page of recipients at a time, then send them.

        Whatever the audience (``EVENT_UPDATED``/``EVENT_CANCELLED`` name everyone registered or waiting), the
        preferences are read in one query and the addresses with one ``users.get_accounts`` call per page;
        the inbox lease is renewed after each page, so the retry timer does not take a long fan-out for an
        interrupted one. A small audience is sent to at once; a large one is left to the outbox timer.
        """
        message = render(self._with_names(event))
        people = list(dict.fromkeys(str(person) for person in recipients(event))) if message is not None else []
        tables = outbox.read_preferences_many(self.db, people) if people else {}
        inbox = self._inbox()
        for start in range(0, len(people), ACCOUNTS_PER_CALL):
            page = people[start : start + ACCOUNTS_PER_CALL]
            addresses = self._emails_of(page, event, message, tables)
            documents = []
            for user_id in page:
                documents += outbox.plan(event, message, user_id, tables[user_id], addresses.get(user_id), now)
            outbox.store(self.db, documents)
            inbox.renew(event["event_id"], utcnow())
        inbox.mark_processed(event["event_id"], now)
        if len(people) > self.delivery.inline_send_recipients:
            return  # deliver_due sends them, RETRY_BATCH a run, each claimed once
        for notification_id in outbox.due_to_send(self.db, event["event_id"]):
            self._send(notification_id, now)

    def _with_names(self, event):
        """Names a template needs: the follower's comes in the event (users sends ``follower_name``); an event
        published before it did is completed by asking users."""
        metadata = event.get("metadata") or {}
        if event["event_type"] != events.USER_FOLLOWED or metadata.get("follower_name") or not event.get("user_id"):
            return event
        account = self.users.get_account(str(event["user_id"])) or {}
        name = account.get("name") or account.get("username") or "Someone"
        return {**event, "metadata": {**metadata, "follower_name": name}}

    def _emails_of(self, user_ids, event, message, tables):
        """``{user_id: address}`` of the people in ``user_ids`` who get this message by email: one call to users
        for the page, none for those who do not want email (or when nobody does)."""
        metadata = event.get("metadata") or {}
        addresses = {}
        wanted = []
        for user_id in user_ids:
            if metadata.get("email") and user_id == str(event.get("user_id")):
                addresses[user_id] = metadata["email"]  # codes go to the address they were asked for
            elif prefs.EMAIL in prefs.channels_for(tables[user_id], message.category, message.secret):
                wanted.append(user_id)
        if wanted:
            accounts = self.delivery.accounts.get(wanted, self.users.get_accounts)
            addresses.update({user_id: account.get("email") for user_id, account in accounts.items()})
        return addresses

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
        # Interrupted events first (claimed one at a time, leased: replicas do not share one), then due retries;
        # an event that cannot be handled is retried at most MAX_PROCESS_ATTEMPTS times and holds nothing back.
        self._inbox().handle_stale(
            utcnow(),
            lambda event: self._process(event, utcnow()),
            max_attempts=self.delivery.max_process_attempts,
            limit=STALE_BATCH,
        )
        now = utcnow()
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
        page = self._newest_first(selector, query, outbox.public_view)
        page["unread"] = self.db[NOTIFICATIONS].count_documents({**mine, "read_at": None})
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
        """Announcements still to send: walk through their audience a page at a time, storing each page's
        messages. users pages by key (``after``: the position of the last user seen), so someone deleted or
        disabled meanwhile does not shift the next pages and make anyone miss it."""
        lease, size = self.delivery.lease, self.delivery.announcement_page
        while (announcement := announcements.claim(self.db, utcnow(), lease)) is not None:
            event = announcements.event_of(announcement)
            message = Message(ANNOUNCEMENTS, announcement["subject"], announcement["text"])
            filters = {"role": announcement["role"]} if announcement["role"] else {}
            after = announcement.get("after")
            while True:
                listing = self.users.list_accounts(after=after, limit=size, status="active", **filters)
                users = listing["items"]
                tables = outbox.read_preferences_many(self.db, [user["id"] for user in users])
                now = utcnow()
                documents = []
                for user in users:
                    documents += outbox.plan(
                        event, message, user["id"], tables[str(user["id"])], user.get("email"), now
                    )
                outbox.store(self.db, documents)
                moved = announcements.page_done(
                    self.db, announcement["_id"], after, listing["next_after"], len(users), now, lease
                )
                if not moved or listing["next_after"] is None:
                    break  # done, or another worker took it over after the lease
                after = listing["next_after"]

    @rpc
    def list_deliveries(self, **payload):
        """Admin: every message on every channel with its status and attempts."""
        self.caller.require_role(ADMIN)
        query = load(DeliveriesSchema(), payload)
        selector = {key: query[key] for key in ("user_id", "status", "channel") if query[key]}
        return self._newest_first(selector, query, outbox.delivery_view)

    def _newest_first(self, selector, query, view):
        """One page of the messages ``selector`` picks, newest first, each shown through ``view``."""
        collection = self.db[NOTIFICATIONS]
        cursor = (
            collection.find(selector)
            .sort([("created_at", -1), ("_id", -1)])
            .skip(offset_of(query["page"], query["page_size"]))
            .limit(query["page_size"])
        )
        total = collection.count_documents(selector)
        return page_of([view(doc) for doc in cursor], total, query["page"], query["page_size"])

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
    return backlog_handler(source, event_type)(handle)


# One handler (and so one durable queue) per subscribed event; the method name is part of the queue name.
for _source, _event_types in SUBSCRIPTIONS.items():
    for _event_type in _event_types:
        setattr(NotificationsService, f"on_{_event_type.lower()}", _subscribe(_source, _event_type))
