"""Domain events: the catalogue of event types (publisher, metadata schema) and the envelope every payload has.

Each service publishes on its own exchange (``<service>.events``) with the
event type as routing key, through the ``DomainEvents`` dependency and the service's outbox.
Consumers subscribe to the types they handle by the catalogue's publisher (``common.consumers``).
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from marshmallow import RAISE, Schema, fields
from nameko.events import EventDispatcher
from nameko_sqlalchemy import Database
from sqlalchemy import event as sa_event

from common import outbox
from common.clock import isoformat, utcnow
from common.context import CallerContext
from common.metrics import DOMAIN_EVENTS
from common.mongo import database_for
from common.outbox import MongoOutbox, OutboxRecord, RelayFailed, SqlOutbox
from common.services import SERVICES

log = logging.getLogger(__name__)


# -- the catalogue: every event type, its publisher and its metadata ---------------------------------------------
#
# The one place that says who publishes what: consumers subscribe from it (``publisher_of``), engagement logs each
# event's ``service`` from it, and ``make_event`` checks every event's metadata against its schema. A new event
# type, or a new metadata key, is added here, next to the ``self.events(...)`` call that sends it.
# Instants are ISO 8601 strings, ids strings; a key that may be null says ``allow_none``.


class Metadata(Schema):
    """Base of the metadata schemas: a key the catalogue does not list is an error."""

    class Meta:
        unknown = RAISE


def _text(**options):
    return fields.String(**options)


def _maybe_text():
    return fields.String(allow_none=True)


_REVOKED = {  # common.revocations: what a revoking event revokes (only the keys that apply are sent)
    "revoked_before": fields.Float(),
    "revoked_token_ids": fields.List(fields.String()),
}
_SESSION = {  # every coaching event (docs/coaching-and-events.md); ``user_id`` is the learner
    "session_id": _text(required=True),
    "coach_id": _text(required=True),
    "learner_id": _text(required=True),
    "coach_name": _maybe_text(),
    "starts_at": _text(required=True),
    "ends_at": _text(required=True),
    "title": _text(required=True),
    "topic": _maybe_text(),
}
_EVENT = {  # every event of the events service; ``event_id`` names the platform event, not the envelope
    "event_id": _text(required=True),
    "title": _text(required=True),
    "starts_at": _text(required=True),
    "ends_at": _maybe_text(),
    "organiser_id": _text(required=True),
}
_REGISTRATION = {**_EVENT, "registration_id": _text(required=True)}
# What an edit changed (common/changes.py): {field: {"old", "new"}}, or {"changed": true} for a big value.
_CHANGES = {"changes": fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)}
_MODULE = {  # a course's module; ``course_id`` is in the envelope, ``user_id`` is the course's instructor
    "course_title": _text(required=True),
    "module_id": _text(required=True),
    "module_title": _text(required=True),
}
_LESSON = {**_MODULE, "lesson_id": _text(required=True), "lesson_title": _text(required=True)}
_AUTHORED_ASSESSMENT = {
    "course_title": _text(required=True),
    "assessment_id": _text(required=True),
    "assessment_title": _text(required=True),
}
_MEDIA = {"media_id": _text(required=True), "filename": _text(required=True)}  # ``user_id``: its owner
_ASSESSMENT = {
    "assessment_id": _text(required=True),
    "assessment_title": _text(required=True),
    "course_title": _text(required=True),
    "attempt": fields.Integer(required=True),
    "score": fields.Float(required=True),
}


# Every service has runtime settings, and publishes SETTING_CHANGED for its own.
SETTING_OWNERS = tuple(service for service in SERVICES if service != "gateway")


def _schema(name, keys):
    return Metadata.from_dict(dict(keys), name=f"{name}Metadata")


@dataclass(frozen=True)
class EventType:
    name: str
    publishers: tuple  # the services whose exchanges (``<publisher>.events``) carry it: one, but for SETTING_CHANGED
    metadata: type  # the marshmallow schema of its ``metadata``
    about: str  # when it is published
    # What the activity log names as its target: (kind, key), the id being the metadata's (or else the
    # envelope's) ``key``; None: engagement's general rule (a session, an event, a course, a followee).
    target: tuple = None

    @property
    def publisher(self):
        """The one publisher (ValueError for a type several services publish: see ``publishers``)."""
        if len(self.publishers) != 1:
            raise ValueError(f"{self.name} is published by {', '.join(self.publishers)}")
        return self.publishers[0]


CATALOGUE = {}


def _event(event_type, publisher, about, /, target=None, **keys):
    publishers = (publisher,) if isinstance(publisher, str) else tuple(publisher)
    metadata = _schema(event_type.title().replace("_", ""), keys)
    CATALOGUE[event_type] = EventType(event_type, publishers, metadata, about, target)
    return event_type


# users
USER_REGISTERED = _event(
    "USER_REGISTERED",
    "users",
    "an account is made (or its confirmation code sent again: ``resent``)",
    email=_text(required=True),
    name=_maybe_text(),
    username=_maybe_text(),
    requires_confirmation=fields.Boolean(required=True),
    confirmation_code=_maybe_text(),
    resent=fields.Boolean(),
    provider=_text(),
    created_by=_maybe_text(),
)
USER_CONFIRMED = _event(
    "USER_CONFIRMED",
    "users",
    "an account is confirmed (by code, or by an SSO provider: ``provider``)",
    email=_text(required=True),
    provider=_text(),
)
USER_UPDATED = _event(
    "USER_UPDATED",
    "users",
    "a profile or the preferences change (``preferences``: the whole new state; ``changes``: an admin's edit)",
    target=("user", "user_id"),
    fields=fields.List(fields.String(), required=True),
    preferences=fields.Dict(),
    by=_maybe_text(),
    changes=fields.Dict(keys=fields.String(), values=fields.Dict()),
)
USER_DELETED = _event(
    "USER_DELETED",
    "users",
    "an admin deletes an account",
    target=("user", "user_id"),
    email=_text(required=True),
    by=_maybe_text(),
    **_REVOKED,
)
USER_FOLLOWED = _event(
    "USER_FOLLOWED",
    "users",
    "``user_id`` follows ``followee_id``",
    followee_id=_text(required=True),
    follower_name=_maybe_text(),
)
USER_UNFOLLOWED = _event(
    "USER_UNFOLLOWED",
    "users",
    "``user_id`` stops following ``followee_id``",
    followee_id=_text(required=True),
    follower_name=_maybe_text(),
)
USER_ROLES_CHANGED = _event(
    "USER_ROLES_CHANGED",
    "users",
    "an admin sets an account's roles",
    target=("user", "user_id"),
    before=fields.List(fields.String(), required=True),
    after=fields.List(fields.String(), required=True),
    by=_maybe_text(),
    **_REVOKED,
)
# Someone registered an email or username that was taken: the address is told, the caller is not.
REGISTRATION_ATTEMPTED = _event(
    "REGISTRATION_ATTEMPTED",
    "users",
    "a registration made no account (``reason``: email_taken or username_taken)",
    email=_text(required=True),
    reason=_text(required=True),
    username=_text(),
)
USER_DISABLED = _event(
    "USER_DISABLED",
    "users",
    "an admin disables an account",
    target=("user", "user_id"),
    status=_text(required=True),
    previous_status=_text(),
    by=_maybe_text(),
    **_REVOKED,
)
# auth
USER_LOGGED_IN = _event(
    "USER_LOGGED_IN", "auth", "a sign-in succeeds", provider=_text(required=True), first_sign_in=fields.Boolean()
)
USER_LOGGED_OUT = _event(
    "USER_LOGGED_OUT",
    "auth",
    "a session (or every one) is signed out",
    all_sessions=fields.Boolean(required=True),
    **_REVOKED,
)
LOGIN_FAILED = _event(
    "LOGIN_FAILED",
    "auth",
    "a sign-in fails (no ``user_id``)",
    identifier=_text(required=True),
    locked=fields.Boolean(required=True),
)
ACCOUNT_LOCKED = _event("ACCOUNT_LOCKED", "auth", "too many failures lock an identifier out", locked_until=_text())
PASSWORD_RESET_REQUESTED = _event(
    "PASSWORD_RESET_REQUESTED",
    "auth",
    "a reset code is made (``code`` is a secret)",
    email=_text(required=True),
    code=_text(required=True),
)
PASSWORD_CHANGED = _event(
    "PASSWORD_CHANGED",
    "auth",
    "a password is reset, changed, set by an admin or dropped (``reason``)",
    reason=_text(required=True),
    provider=_text(),
    **_REVOKED,
)
REFRESH_TOKEN_REUSED = _event("REFRESH_TOKEN_REUSED", "auth", "a spent refresh token is used again", **_REVOKED)
# training (``course_id`` is in the envelope)
COURSE_CREATED = _event(
    "COURSE_CREATED",
    "training",
    "a course is made (``source``: youtube for an imported playlist)",
    title=_text(required=True),
    source=_text(),
)
COURSE_PUBLISHED = _event("COURSE_PUBLISHED", "training", "a course is published", title=_text(required=True))
# Authoring (``user_id``: the course's instructor, whoever edited it; ``actor_id`` says who did).
COURSE_UPDATED = _event(
    "COURSE_UPDATED",
    "training",
    "a course's own fields change, it is unpublished (``status``) or its modules reordered (``module_order``)",
    target=("course", "course_id"),
    title=_text(required=True),
    **_CHANGES,
)
COURSE_DELETED = _event(
    "COURSE_DELETED",
    "training",
    "a course is deleted, with its assessments",
    target=("course", "course_id"),
    title=_text(required=True),
)
MODULE_ADDED = _event("MODULE_ADDED", "training", "a module is added", target=("module", "module_id"), **_MODULE)
MODULE_UPDATED = _event(
    "MODULE_UPDATED",
    "training",
    "a module's fields change or its lessons are reordered (``lesson_order``)",
    target=("module", "module_id"),
    **_MODULE,
    **_CHANGES,
)
MODULE_DELETED = _event(
    "MODULE_DELETED",
    "training",
    "a module is removed with its lessons (``lessons``: how many)",
    target=("module", "module_id"),
    lessons=fields.Integer(required=True),
    **_MODULE,
)
LESSON_ADDED = _event("LESSON_ADDED", "training", "a lesson is added", target=("lesson", "lesson_id"), **_LESSON)
LESSON_UPDATED = _event(
    "LESSON_UPDATED",
    "training",
    "a lesson changes (its content: only that it changed)",
    target=("lesson", "lesson_id"),
    **_LESSON,
    **_CHANGES,
)
LESSON_DELETED = _event("LESSON_DELETED", "training", "a lesson is removed", target=("lesson", "lesson_id"), **_LESSON)
ASSESSMENT_CREATED = _event(
    "ASSESSMENT_CREATED",
    "training",
    "an assessment is made for a course",
    target=("assessment", "assessment_id"),
    **_AUTHORED_ASSESSMENT,
)
ASSESSMENT_UPDATED = _event(
    "ASSESSMENT_UPDATED",
    "training",
    "an assessment's settings or questions change (questions: only that they changed)",
    target=("assessment", "assessment_id"),
    **_AUTHORED_ASSESSMENT,
    **_CHANGES,
)
ASSESSMENT_DELETED = _event(
    "ASSESSMENT_DELETED",
    "training",
    "an assessment is deleted",
    target=("assessment", "assessment_id"),
    **_AUTHORED_ASSESSMENT,
)
MEDIA_UPDATED = _event(
    "MEDIA_UPDATED",
    "training",
    "a media item is renamed or shared (``user_id``: its owner)",
    target=("media", "media_id"),
    **_MEDIA,
    **_CHANGES,
)
MEDIA_DELETED = _event(
    "MEDIA_DELETED",
    "training",
    "a media item and its bytes are deleted (``user_id``: its owner)",
    target=("media", "media_id"),
    **_MEDIA,
)
COURSE_ENROLLED = _event("COURSE_ENROLLED", "training", "a learner enrols", title=_text(required=True))
COURSE_UNENROLLED = _event("COURSE_UNENROLLED", "training", "a learner leaves a course")
LESSON_COMPLETED = _event(
    "LESSON_COMPLETED",
    "training",
    "a learner completes a lesson",
    lesson_id=_text(required=True),
    progress=fields.Float(required=True),
)
VIDEO_PROGRESS = _event(
    "VIDEO_PROGRESS",
    "training",
    "a learner pauses a video (watch time counted)",
    video_id=_text(required=True),
    date=_text(required=True),
    added_seconds=fields.Float(required=True),
    watch_seconds=fields.Float(required=True),
)
COURSE_COMPLETED = _event("COURSE_COMPLETED", "training", "a learner completes a course", title=_text(required=True))
ASSESSMENT_SUBMITTED = _event(
    "ASSESSMENT_SUBMITTED",
    "training",
    "a learner submits an attempt",
    passed=fields.Boolean(required=True),
    **_ASSESSMENT,
)
ASSESSMENT_PASSED = _event("ASSESSMENT_PASSED", "training", "a learner passes an assessment first", **_ASSESSMENT)
CERTIFICATE_ISSUED = _event(
    "CERTIFICATE_ISSUED",
    "training",
    "a completed course's certificate is made",
    certificate_id=_text(required=True),
    course_title=_text(required=True),
)
CERTIFICATE_REVOKED = _event(
    "CERTIFICATE_REVOKED",
    "training",
    "an admin or the course's instructor revokes a certificate (``user_id`` is the holder)",
    target=("certificate", "certificate_id"),
    certificate_id=_text(required=True),
    course_title=_text(required=True),
    holder_name=_text(required=True),
    reason=_text(required=True),
    revoked_by=_maybe_text(),
    revoked_at=_text(required=True),
)
CERTIFICATE_REISSUED = _event(
    "CERTIFICATE_REISSUED",
    "training",
    "a certificate is replaced by a new one (``certificate_id`` is the new one, ``replaces`` the old)",
    target=("certificate", "certificate_id"),
    certificate_id=_text(required=True),
    replaces=_text(required=True),
    course_title=_text(required=True),
    holder_name=_text(required=True),
    reason=_maybe_text(),
    reissued_by=_maybe_text(),
)
# coaching
SESSION_BOOKED = _event("SESSION_BOOKED", "coaching", "a learner books a slot", **_SESSION)
SESSION_CANCELLED = _event(
    "SESSION_CANCELLED",
    "coaching",
    "either party (or an admin) cancels",
    reason=_maybe_text(),
    cancelled_by=_maybe_text(),
    **_SESSION,
)
SESSION_RESCHEDULED = _event(
    "SESSION_RESCHEDULED", "coaching", "either party moves a session", previous_start=_text(required=True), **_SESSION
)
SESSION_COMPLETED = _event("SESSION_COMPLETED", "coaching", "the coach (or an admin) completes it", **_SESSION)
SESSION_PLACE_CHANGED = _event(
    "SESSION_PLACE_CHANGED",
    "coaching",
    "the coach (or an admin) changes where a session happens (its link or location stay off the bus)",
    kind=_text(required=True),
    sequence=fields.Integer(required=True),
    **_SESSION,
)
NOTE_SHARED = _event(
    "NOTE_SHARED", "coaching", "the coach writes a shared note", note_id=_text(required=True), **_SESSION
)
# events
EVENT_CREATED = _event("EVENT_CREATED", "events", "an event is created (``user_id``: the organiser)", **_EVENT)
EVENT_UPDATED = _event(
    "EVENT_UPDATED",
    "events",
    "an event changes (``recipient_ids``: everyone taking part, when what they need to know changed)",
    fields=fields.List(fields.String(), required=True),
    sequence=fields.Integer(required=True),
    recipient_ids=fields.List(fields.String(), required=True),
    **_EVENT,
)
EVENT_CANCELLED = _event(
    "EVENT_CANCELLED",
    "events",
    "an event is cancelled (``recipient_ids``: everyone taking part)",
    sequence=fields.Integer(required=True),
    recipient_ids=fields.List(fields.String(), required=True),
    **_EVENT,
)
EVENT_REGISTERED = _event("EVENT_REGISTERED", "events", "someone registers with a seat", **_REGISTRATION)
EVENT_WAITLISTED = _event("EVENT_WAITLISTED", "events", "someone registers onto the waitlist", **_REGISTRATION)
EVENT_PROMOTED = _event("EVENT_PROMOTED", "events", "someone moves from the waitlist to a seat", **_REGISTRATION)
EVENT_REMINDER = _event(
    "EVENT_REMINDER",
    "events",
    "the reminder timer, once per registration",
    lead_minutes=fields.Integer(required=True),
    **_REGISTRATION,
)
EVENT_ATTENDED = _event(
    "EVENT_ATTENDED",
    "events",
    "an attendee is checked in, once per registration",
    attended_at=_text(required=True),
    marked_by=_text(required=True),
    **_REGISTRATION,
)
# engagement
BADGE_AWARDED = _event(
    "BADGE_AWARDED",
    "engagement",
    "a learner earns a badge",
    badge=_text(required=True),
    badge_name=_text(required=True),
    title=_text(required=True),
)
# every service: its runtime settings (common/runtime_settings.py), on its own exchange
SETTING_CHANGED = _event(
    "SETTING_CHANGED",
    SETTING_OWNERS,
    "an admin sets a runtime setting (``created``: POST of one not set yet; ``old_value``: the default then)",
    target=("setting", "key"),
    key=_text(required=True),
    service=_text(required=True),
    old_value=fields.Raw(required=True, allow_none=True),
    new_value=fields.Raw(required=True, allow_none=True),
    default=fields.Raw(required=True, allow_none=True),
    created=fields.Boolean(required=True),
)

EVENT_TYPES = frozenset(CATALOGUE)
# The publisher of each type one service publishes (SETTING_CHANGED's is the setting's ``service``).
PUBLISHER_OF = {name: entry.publishers[0] for name, entry in CATALOGUE.items() if len(entry.publishers) == 1}


def publisher_of(event_type):
    """The service that publishes ``event_type`` (KeyError for a type the catalogue does not list, ValueError for
    one that several services publish)."""
    return CATALOGUE[event_type].publisher


def publishers_of(event_type):
    """Every service that publishes ``event_type``, as a tuple (KeyError for a type the catalogue does not list)."""
    return CATALOGUE[event_type].publishers


def target_of(event):
    """``(kind, id)`` of what the catalogue says ``event`` is about, ``(kind, None)`` when its id is missing, or
    ``None`` when the catalogue names no target for its type."""
    entry = CATALOGUE.get(event.get("event_type"))
    if entry is None or entry.target is None:
        return None
    kind, key = entry.target
    value = (event.get("metadata") or {}).get(key) or event.get(key)
    return kind, None if value is None else str(value)


def metadata_errors(event_type, metadata):
    """What is wrong with ``metadata`` for ``event_type`` by the catalogue: marshmallow's errors, ``{}`` if none."""
    return CATALOGUE[event_type].metadata().validate(metadata)


def make_event(event_type, user_id=None, course_id=None, envelope_id=None, actor_id=None, request_id=None, **metadata):
    """Build the platform's envelope for one occurrence of ``event_type``.

    ``user_id`` is who the event is about (its subject); ``actor_id`` who did it (the signed-in caller whose
    request caused it; None for an operator's or an internal call, a timer) and ``request_id`` the gateway's
    id of that request. ``DomainEvents`` fills the last two from the worker's context data.

    The envelope's ``event_id`` is random unless ``envelope_id`` gives it: a publisher that may have to
    publish one occurrence again (after a failure between publishing and recording it) derives it from the
    occurrence, so consumers, idempotent on ``event_id``, see one event. (``event_id`` in ``metadata`` is
    the events service's own word for the event being attended, not this.)

    An unknown type raises. Metadata that does not match the catalogue (a key missing, unknown or of the
    wrong type) is a programming error of the publisher, but the change it reports is saved already, and a
    saved change always gets its event: it is logged (ERROR, with the keys at fault) and the event goes out
    as it is; consumers read metadata with defaults."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    errors = metadata_errors(event_type, metadata)
    if errors:
        log.error("%s does not match the event catalogue (common/events.py): %s", event_type, errors)
    event = {
        "event_id": envelope_id or uuid.uuid4().hex,
        "event_type": event_type,
        "timestamp": isoformat(utcnow()),
        "user_id": None if user_id is None else str(user_id),
        "actor_id": None if actor_id is None else str(actor_id),
        "request_id": None if request_id is None else str(request_id),
        "metadata": metadata,
    }
    if course_id is not None:
        event["course_id"] = str(course_id)
    return event


class DomainEvents(EventDispatcher):
    """``self.events(USER_REGISTERED, user_id=..., **metadata)`` saves one event in the service's outbox, its
    ``actor_id`` and ``request_id`` taken from the worker's context data (the gateway's caller and request).

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
        # Who did it and in which request: the caller the gateway put in context data (none for an operator).
        caller = CallerContext(self.worker_ctx)
        event = make_event(
            event_type,
            user_id=user_id,
            course_id=course_id,
            envelope_id=envelope_id,
            actor_id=caller.user_id,
            request_id=caller.request_id,
            **metadata,
        )
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
