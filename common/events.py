"""Domain events: the one list of event types and the envelope every payload has.

Each service publishes on its own exchange (``<service>.events``) with the
event type as routing key, through the ``DomainEvents`` dependency.
"""

import uuid

from nameko.events import EventDispatcher

from common.clock import isoformat, utcnow

# users
USER_REGISTERED = "USER_REGISTERED"
USER_CONFIRMED = "USER_CONFIRMED"
USER_UPDATED = "USER_UPDATED"
USER_DELETED = "USER_DELETED"
USER_FOLLOWED = "USER_FOLLOWED"
USER_UNFOLLOWED = "USER_UNFOLLOWED"
USER_ROLES_CHANGED = "USER_ROLES_CHANGED"
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
    """Build the envelope of DESIGN.md for one occurrence of ``event_type``.

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
    """``self.events(USER_REGISTERED, user_id=..., **metadata)`` publishes one event."""

    def get_dependency(self, worker_ctx):
        dispatch = super().get_dependency(worker_ctx)

        def publish(event_type, user_id=None, course_id=None, envelope_id=None, **metadata):
            event = make_event(event_type, user_id=user_id, course_id=course_id, envelope_id=envelope_id, **metadata)
            dispatch(event_type, event)
            return event

        return publish
