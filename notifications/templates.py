"""What each domain event becomes: a category, a subject and a text, rendered from the event.

The service handles every event type that has a template here (``SUBSCRIBED``;
who publishes each is the catalogue's, ``common.events``). An event without a
template (``USER_LOGGED_IN``...) produces no message.
"""

from dataclasses import dataclass

from common import events as e
from notifications.contracts import (  # noqa: F401  (CATEGORIES: what a template's category may be)
    ACCOUNT,
    ACHIEVEMENTS,
    ANNOUNCEMENTS,
    CATEGORIES,
    COACHING,
    EVENTS,
    LEARNING,
    SECURITY,
    SOCIAL,
)
from notifications.local_times import local_time


@dataclass(frozen=True)
class Template:
    category: str
    subject: str
    text: str
    # The text holds a code: the stored copy is blanked once it has been sent.
    secret: bool = False


class _Blank(dict):
    """Missing fields render as nothing rather than failing the whole message."""

    def __missing__(self, key):
        return ""


TEMPLATES = {
    e.PASSWORD_RESET_REQUESTED: Template(
        SECURITY, "Reset your password", "Your password reset code is {code}.", secret=True
    ),
    e.PASSWORD_CHANGED: Template(
        SECURITY, "Your password was changed", "Your password was changed. If this was not you, reset it now."
    ),
    e.REFRESH_TOKEN_REUSED: Template(
        SECURITY,
        "We signed you out everywhere",
        "An old sign-in token of yours was used again, so every session was signed out. Sign in again.",
    ),
    e.ACCOUNT_LOCKED: Template(
        SECURITY,
        "Sign-ins to your account are locked at one address",
        "Too many failed sign-ins to your account came from one address, so it is locked out for a while."
        " You can still sign in as usual. If you did not try, consider changing your password.",
    ),
    e.USER_CONFIRMED: Template(ACCOUNT, "Welcome aboard", "Your account is confirmed. Happy learning!"),
    e.USER_FOLLOWED: Template(SOCIAL, "You have a new follower", "{follower_name} now follows you."),
    e.COURSE_ENROLLED: Template(LEARNING, "You are enrolled", "You are enrolled in {course_title}."),
    e.COURSE_COMPLETED: Template(LEARNING, "Course completed", "Well done: you completed {course_title}."),
    e.ASSESSMENT_SUBMITTED: Template(
        LEARNING, "Assessment result", "Your result for {assessment_title}: {score} ({outcome})."
    ),
    e.ASSESSMENT_PASSED: Template(
        LEARNING, "Assessment passed", "You passed {assessment_title} with a score of {score}."
    ),
    e.CERTIFICATE_ISSUED: Template(
        LEARNING, "Your certificate is ready", "Your certificate for {course_title} is ready to download."
    ),
    e.CERTIFICATE_REVOKED: Template(
        LEARNING,
        "Your certificate was revoked",
        "Your certificate for {course_title} was revoked: {reason}. Verification now says it is revoked.",
    ),
    e.CERTIFICATE_REISSUED: Template(
        LEARNING, "Your certificate was reissued", "A new certificate for {course_title} replaces your earlier one."
    ),
    e.SESSION_BOOKED: Template(COACHING, "Coaching session booked", "A coaching session is booked for {starts_at}."),
    e.SESSION_CANCELLED: Template(
        COACHING, "Coaching session cancelled", "The coaching session of {starts_at} is cancelled."
    ),
    e.SESSION_RESCHEDULED: Template(
        COACHING, "Coaching session moved", "Your coaching session now starts {starts_at}."
    ),
    e.SESSION_PLACE_CHANGED: Template(
        COACHING,
        "Coaching session: new place",
        "Where your coaching session of {starts_at} happens has changed: open the session to see it.",
    ),
    e.NOTE_SHARED: Template(COACHING, "A coaching note was shared", "Your coach shared a note with you."),
    e.EVENT_REGISTERED: Template(EVENTS, "You are registered", "You are registered for {event_title} ({starts_at})."),
    e.EVENT_WAITLISTED: Template(
        EVENTS, "You are on the waiting list", "{event_title} is full: you are on its waiting list."
    ),
    e.EVENT_PROMOTED: Template(
        EVENTS, "A place opened up", "A place opened up: you are now registered for {event_title}."
    ),
    e.EVENT_REMINDER: Template(EVENTS, "Reminder: {event_title}", "{event_title} starts {starts_at}."),
    e.EVENT_UPDATED: Template(
        EVENTS,
        "Event changed: {event_title}",
        "{event_title} has changed; it now starts {starts_at}. Check the details.",
    ),
    e.EVENT_CANCELLED: Template(EVENTS, "Event cancelled", "{event_title} is cancelled."),
    e.BADGE_AWARDED: Template(ACHIEVEMENTS, "New badge: {badge_name}", "You earned the badge {badge_name}."),
}

CONFIRMATION = Template(
    SECURITY, "Confirm your account", "Hello {name}, your confirmation code is {confirmation_code}.", secret=True
)
WELCOME = Template(ACCOUNT, "Welcome aboard", "Hello {name}, your account is ready. Happy learning!")
# A registration that made no account: the address is told why (the caller was not).
ALREADY_REGISTERED = Template(
    SECURITY,
    "Someone tried to register with your address",
    "Someone, perhaps you, tried to register a new account with this email address, which already has one."
    " If it was you, log in, or reset your password if you forgot it. If not, you can ignore this message.",
)
# The email has no account, so there is no inbox to keep this in: email only (a secret message is not stored).
USERNAME_TAKEN = Template(
    SECURITY,
    "Your registration was not completed",
    "Someone, perhaps you, tried to register with this email address and the username {username},"
    " which is taken. Register again with another username. If it was not you, you can ignore this message.",
    secret=True,
)


# Every event type that becomes a message; SUBSCRIPTIONS: the same by publisher (the catalogue's).
SUBSCRIBED = frozenset({*TEMPLATES, e.USER_REGISTERED, e.REGISTRATION_ATTEMPTED})
SUBSCRIPTIONS = {
    publisher: tuple(sorted(t for t in SUBSCRIBED if e.publisher_of(t) == publisher))
    for publisher in sorted({e.publisher_of(t) for t in SUBSCRIBED})
}


@dataclass(frozen=True)
class Message:
    category: str
    subject: str
    text: str
    secret: bool = False


def template_for(event):
    metadata = event.get("metadata") or {}
    if event["event_type"] == e.USER_REGISTERED:
        return CONFIRMATION if metadata.get("confirmation_code") else WELCOME
    if event["event_type"] == e.REGISTRATION_ATTEMPTED:
        return USERNAME_TAKEN if metadata.get("reason") == "username_taken" else ALREADY_REGISTERED
    return TEMPLATES.get(event["event_type"])


# Fields of the events' metadata that are instants: written in the reader's zone and language.
TIME_FIELDS = ("starts_at",)


def tells_time(event):
    """Whether the event's message writes a time (so that it differs from reader to reader)."""
    template = template_for(event)
    return template is not None and any(f"{{{name}}}" in template.subject + template.text for name in TIME_FIELDS)


def render(event, zone=None, locale=None):
    """The ``Message`` an event becomes for a reader in ``zone`` and ``locale`` (UTC and English when not
    given), or ``None`` for events that tell the user nothing."""
    template = template_for(event)
    if template is None:
        return None
    fields = _Blank({key: value for key, value in (event.get("metadata") or {}).items() if value is not None})
    for name in TIME_FIELDS:
        if name in fields:
            fields[name] = local_time(fields[name], zone, locale)
    if event.get("course_id"):
        fields.setdefault("course_id", event["course_id"])
    fields.setdefault("course_title", fields.get("title") or "your course")
    fields.setdefault("event_title", fields.get("title") or "the event")
    fields.setdefault("assessment_title", fields.get("title") or "your assessment")
    fields.setdefault("badge_name", fields.get("badge") or "")
    fields.setdefault("name", "")
    if "outcome" not in fields and "passed" in fields:
        fields["outcome"] = "passed" if fields["passed"] else "not passed"
    return Message(
        template.category,
        template.subject.format_map(fields).strip(),
        " ".join(template.text.format_map(fields).split()),
        template.secret,
    )


def recipients(event):
    """Whom an event is about: its user, and for a few events someone else too."""
    metadata = event.get("metadata") or {}
    if event["event_type"] == e.USER_FOLLOWED:
        return [metadata["followee_id"]] if metadata.get("followee_id") else []
    if event["event_type"] == e.EVENT_UPDATED:  # the organiser made the change: only those taking part are told
        return [str(person) for person in metadata.get("recipient_ids") or ()]
    people = [event["user_id"]] if event.get("user_id") else []
    if event["event_type"] in (e.SESSION_BOOKED, e.SESSION_CANCELLED, e.SESSION_RESCHEDULED):
        coach = metadata.get("coach_id")
        if coach and coach not in people:
            people.append(coach)
    for extra in metadata.get("recipient_ids") or ():
        if extra not in people:
            people.append(str(extra))
    return people
