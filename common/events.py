"""Domain events: the one list of event types and the envelope every payload has.

Each service publishes on its own exchange (``<service>.events``) with the
event type as routing key, through the ``DomainEvents`` dependency and the service's outbox.
"""

import logging
import threading
import time
import uuid
from weakref import WeakKeyDictionary

from nameko.events import EventDispatcher
from nameko_sqlalchemy import Database
from sqlalchemy import event as sa_event

from common import outbox
from common.clock import isoformat, utcnow
from common.metrics import DOMAIN_EVENTS
from common.mongo import database_for
from common.outbox import MongoOutbox, OutboxRecord, RelayFailed, SqlOutbox

log = logging.getLogger(__name__)

# users
USER_REGISTERED = "USER_REGISTERED"
USER_CONFIRMED = "USER_CONFIRMED"
USER_UPDATED = "USER_UPDATED"
USER_DELETED = "USER_DELETED"
USER_FOLLOWED = "USER_FOLLOWED"
USER_UNFOLLOWED = "USER_UNFOLLOWED"
USER_ROLES_CHANGED = "USER_ROLES_CHANGED"
# Someone registered an email or username that was taken: the address is told, the caller is not.
REGISTRATION_ATTEMPTED = "REGISTRATION_ATTEMPTED"
USER_DISABLED = "USER_DISABLED"
# auth
USER_LOGGED_IN = "USER_LOGGED_IN"
USER_LOGGED_OUT = "USER_LOGGED_OUT"
LOGIN_FAILED = "LOGIN_FAILED"
ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
PASSWORD_RESET_REQUESTED = "PASSWORD_RESET_REQUESTED"
PASSWORD_CHANGED = "PASSWORD_CHANGED"
REFRESH_TOKEN_REUSED = "REFRESH_TOKEN_REUSED"
# training
COURSE_CREATED = "COURSE_CREATED"
COURSE_PUBLISHED = "COURSE_PUBLISHED"
COURSE_ENROLLED = "COURSE_ENROLLED"
COURSE_UNENROLLED = "COURSE_UNENROLLED"
LESSON_COMPLETED = "LESSON_COMPLETED"
VIDEO_PROGRESS = "VIDEO_PROGRESS"
COURSE_COMPLETED = "COURSE_COMPLETED"
ASSESSMENT_SUBMITTED = "ASSESSMENT_SUBMITTED"
ASSESSMENT_PASSED = "ASSESSMENT_PASSED"
CERTIFICATE_ISSUED = "CERTIFICATE_ISSUED"
CERTIFICATE_REVOKED = "CERTIFICATE_REVOKED"
CERTIFICATE_REISSUED = "CERTIFICATE_REISSUED"
# coaching
SESSION_BOOKED = "SESSION_BOOKED"
SESSION_CANCELLED = "SESSION_CANCELLED"
SESSION_RESCHEDULED = "SESSION_RESCHEDULED"
SESSION_COMPLETED = "SESSION_COMPLETED"
NOTE_SHARED = "NOTE_SHARED"
# events
EVENT_CREATED = "EVENT_CREATED"
EVENT_UPDATED = "EVENT_UPDATED"
EVENT_CANCELLED = "EVENT_CANCELLED"
EVENT_REGISTERED = "EVENT_REGISTERED"
EVENT_WAITLISTED = "EVENT_WAITLISTED"
EVENT_PROMOTED = "EVENT_PROMOTED"
EVENT_REMINDER = "EVENT_REMINDER"
EVENT_ATTENDED = "EVENT_ATTENDED"
# engagement
BADGE_AWARDED = "BADGE_AWARDED"

EVENT_TYPES = frozenset(value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str))


def make_event(event_type, user_id=None, course_id=None, envelope_id=None, **metadata):
    """Build the platform's envelope for one occurrence of ``event_type``.

    The envelope's ``event_id`` is random unless ``envelope_id`` gives it: a publisher that may have to
    publish one occurrence again (after a failure between publishing and recording it) derives it from the
    occurrence, so consumers, idempotent on ``event_id``, see one event. (``event_id`` in ``metadata`` is
    the events service's own word for the event being attended, not this.)"""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = {
        "event_id": envelope_id or uuid.uuid4().hex,
        "event_type": event_type,
        "timestamp": isoformat(utcnow()),
        "user_id": None if user_id is None else str(user_id),
        "metadata": metadata,
    }
    if course_id is not None:
        event["course_id"] = str(course_id)
    return event


class DomainEvents(EventDispatcher):
    """``self.events(USER_REGISTERED, user_id=..., **metadata)`` saves one event in the service's outbox.

    A SQL service's event is added to the worker's session (its ``Database`` dependency): the next commit saves
    it with the change, so call it before that commit. A MongoDB service's event is written at once. The relay
    (common/outbox.py) publishes it after the worker is done, and the service's timer entrypoint calls
    ``self.events.relay()`` for whatever is left (the broker was down). Publishing never fails the request.
    """

    def __init__(self, **options):
        # Fail fast: an entry that could not be published waits for the next relay rather than a worker.
        options.setdefault("retry_policy", {"max_retries": 1, "interval_start": 0, "interval_step": 1})
        super().__init__(**options)

    def setup(self):
        super().setup()
        settings = self.container.config.get("OUTBOX") or {}
        self.relay_interval = float(settings.get("RELAY_INTERVAL") or 1)
        self.batch_size = int(settings.get("BATCH_SIZE") or 100)
        self.outbox, self.session_of = outbox_of(self.container, settings)
        self.wrote = WeakKeyDictionary()  # workers that wrote entries: the relay runs when they are done
        self.uncommitted = WeakKeyDictionary()  # SQL: event types a worker saved and has not committed yet
        self.relay_lock = threading.Lock()
        self.failed_at = None

    def start(self):
        if isinstance(self.outbox, MongoOutbox):
            self.outbox.ensure_indexes()

    def get_dependency(self, worker_ctx):
        return OutboxWriter(self, worker_ctx, self.get_message_headers(worker_ctx))

    def write(self, worker_ctx, event, headers):
        if self.session_of is not None:
            session = self.session_of(worker_ctx)
            self.outbox.add(session, event, headers)
            if worker_ctx not in self.uncommitted:
                uncommitted = self.uncommitted[worker_ctx] = []
                sa_event.listen(session, "after_commit", lambda _session: uncommitted.clear())
            self.uncommitted[worker_ctx].append(event["event_type"])
        else:
            self.outbox.add(event, headers)
        self.wrote[worker_ctx] = True

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        """The worker's reply is sent and its change committed: publish now, unless the broker just failed."""
        uncommitted = self.uncommitted.pop(worker_ctx, None)
        if uncommitted and exc_info is None:
            # A call site that saves an event after its last commit loses it: say so loudly.
            log.error("%s saved %s but never committed it: call self.events before the commit", worker_ctx, uncommitted)
        if self.wrote.pop(worker_ctx, False):
            recently_failed = self.failed_at is not None and time.monotonic() - self.failed_at < self.relay_interval
            if not recently_failed:
                self.relay()

    def relay(self):
        """Publish what is pending, oldest first; returns how many were published (0 if another relay runs)."""
        if not self.relay_lock.acquire(blocking=False):
            return 0
        try:
            sent = self.outbox.relay(self.publish_entry, self.batch_size)
            if self.failed_at is not None:
                log.info("%s: publishing works again (%d waiting events published)", self.exchange.name, sent)
            self.failed_at = None
            return sent
        except RelayFailed as failure:
            # Said once per outage, not at every timer run.
            report = log.debug if self.failed_at is not None else log.warning
            report("%s: events wait in the outbox, the broker did not take them: %s", self.exchange.name, failure)
            self.failed_at = time.monotonic()
            return 0
        except Exception:  # the store failed: the entries are safe there, the next run tries again
            log.exception("%s: the outbox relay failed", self.exchange.name)
            return 0
        finally:
            self.relay_lock.release()

    def publish_entry(self, event_type, event, headers):
        """One publication, confirmed by the broker (Nameko's publisher uses confirms), or an exception."""
        self.publisher.publish(event, exchange=self.exchange, routing_key=event_type, extra_headers=headers)


class OutboxWriter:
    """What ``self.events`` is in a worker: call it to save an event; ``relay()`` publishes what is pending."""

    def __init__(self, provider, worker_ctx, headers):
        self.provider = provider
        self.worker_ctx = worker_ctx
        self.headers = headers

    def __call__(self, event_type, user_id=None, course_id=None, envelope_id=None, **metadata):
        event = make_event(event_type, user_id=user_id, course_id=course_id, envelope_id=envelope_id, **metadata)
        self.provider.write(self.worker_ctx, event, self.headers)
        # Counted as saved (registrations, logins, enrollments, ...); the relay publishes it after the commit.
        DOMAIN_EVENTS.labels(self.worker_ctx.service_name, event_type).inc()
        return event

    def relay(self):
        return self.provider.relay()


def outbox_of(container, settings):
    """(outbox, session_of): the outbox of the container's SQL ``Database`` (with how to find a worker's
    session) or else of its MongoDB database (``common.mongo``)."""
    for dependency in container.dependencies:
        if isinstance(dependency, Database):
            models = [m.class_ for m in dependency.declarative_base.registry.mappers]
            model = next((cls for cls in models if issubclass(cls, OutboxRecord)), None)
            if model is None:
                raise RuntimeError(f"{container.service_name}: its models have no OutboxRecord table")
            sql_outbox = SqlOutbox(model, lambda dependency=dependency: dependency.engine, container.service_name)
            return sql_outbox, lambda worker_ctx, dependency=dependency: dependency.dbs[worker_ctx].session
    collection = database_for(container)[outbox.COLLECTION]  # the service's MongoDatabase
    retention = settings.get("RETENTION_SECONDS") or 86400
    return MongoOutbox(collection, retention, settings.get("LEASE_SECONDS") or 30), None
