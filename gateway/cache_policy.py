"""Which reads the gateway answers from its cache, and what makes a cached answer stale.

A cached answer belongs to *groups*; dropping a group (raising its generation, gateway/cache.py) makes
every answer of it stale at once. Three things drop groups:

* a write through the gateway (any method but GET/HEAD) to a service drops that service's groups after
  the service answered and before the gateway answers (``WRITE_DROPS``): the writer's next read, and
  everyone else's, asks the service again;
* an event the services publish (``EVENT_DROPS``): a change made anywhere else (another service, an
  operator's RPC, a consumer) drops its groups in every gateway replica as soon as it is heard;
* time: an answer is kept ``GATEWAY.CACHE.TTL_SECONDS`` (1 s by default) from the moment it was asked
  for, so that a change whose event is lost to a gateway (published while it was not listening) is seen
  within it.

Every key names the caller (user id and the roles of the token) or ``anonymous``: an answer is only ever
replayed to the caller it was made for, so the cache shows nobody what the service would not (drafts,
the join URL of an online event, an enrollment's status). The gateway checks the token, its revocation
and the route's roles before it looks at the cache.
"""

import hashlib
import json
from dataclasses import dataclass

from common import events

READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class CachedRead:
    """A cached route: ``groups(caller_id, arguments)`` names the groups its answers belong to."""

    groups: object


def _service(name):
    return lambda caller_id, arguments: (name,)


def _own_profile(caller_id, arguments):
    return (f"users:{caller_id}",)


TRAINING = _service("training")
COACHING = _service("coaching")
EVENTS = _service("events")

# (method, route path template) -> how its answers are cached. Only reads listed here are cached.
CACHED_READS = {
    ("GET", "/training/courses"): CachedRead(TRAINING),
    ("GET", "/training/courses/popular"): CachedRead(TRAINING),
    ("GET", "/training/courses/<course_id>"): CachedRead(TRAINING),
    ("GET", "/training/courses/<course_id>/lessons"): CachedRead(TRAINING),
    ("GET", "/coaching/coaches"): CachedRead(COACHING),
    ("GET", "/coaching/coaches/<coach_id>"): CachedRead(COACHING),
    ("GET", "/coaching/coaches/<coach_id>/availability"): CachedRead(COACHING),
    ("GET", "/coaching/coaches/<coach_id>/slots"): CachedRead(COACHING),
    ("GET", "/events"): CachedRead(EVENTS),
    ("GET", "/events/<event_id>"): CachedRead(EVENTS),
    ("GET", "/users/profile"): CachedRead(_own_profile),
    ("GET", "/auth/users/me"): CachedRead(_own_profile),
}


def _users_touched(caller_id, arguments):
    """A write to users changes the caller's profile, and the one it names (follow counts, an admin's edit)."""
    named = arguments.get("user_id")
    return tuple(f"users:{user_id}" for user_id in {caller_id, named} if user_id)


# service a write route calls -> the groups it drops (whatever the route: a new write route is covered).
WRITE_DROPS = {
    "training": _service("training"),
    "coaching": _service("coaching"),
    "events": _service("events"),
    "users": _users_touched,
}


def _users_event(event):
    metadata = event.get("metadata") or {}
    named = {event.get("user_id"), metadata.get("followee_id")}
    return tuple(f"users:{user_id}" for user_id in named if user_id)


def _types(*names):
    return frozenset(getattr(events, name) for name in names)


# The exchanges the gateway listens to for invalidation, and which event types there drop which groups.
EVENT_DROPS = {
    "training": (
        _types(
            "COURSE_CREATED",
            "COURSE_PUBLISHED",
            # authoring: what the catalog, a course and its lessons show (assessments are not cached reads)
            "COURSE_UPDATED",
            "COURSE_DELETED",
            "MODULE_ADDED",
            "MODULE_UPDATED",
            "MODULE_DELETED",
            "LESSON_ADDED",
            "LESSON_UPDATED",
            "LESSON_DELETED",
            # a deleted item's link in a lesson is dead (a rename or a share changes no cached read)
            "MEDIA_DELETED",
            "COURSE_ENROLLED",
            "COURSE_UNENROLLED",
            "LESSON_COMPLETED",
            "VIDEO_PROGRESS",
            "COURSE_COMPLETED",
            "ASSESSMENT_SUBMITTED",
            "ASSESSMENT_PASSED",
            "CERTIFICATE_ISSUED",
        ),
        lambda event: ("training",),
    ),
    "coaching": (
        _types("SESSION_BOOKED", "SESSION_CANCELLED", "SESSION_RESCHEDULED", "SESSION_COMPLETED", "NOTE_SHARED"),
        lambda event: ("coaching",),
    ),
    "events": (
        _types(
            "EVENT_CREATED",
            "EVENT_UPDATED",
            "EVENT_CANCELLED",
            "EVENT_REGISTERED",
            "EVENT_WAITLISTED",
            "EVENT_PROMOTED",
            "EVENT_ATTENDED",
        ),
        lambda event: ("events",),
    ),
    "users": (
        _types(
            "USER_REGISTERED",
            "USER_CONFIRMED",
            "USER_UPDATED",
            "USER_DELETED",
            "USER_FOLLOWED",
            "USER_UNFOLLOWED",
            "USER_ROLES_CHANGED",
            "USER_DISABLED",
        ),
        _users_event,
    ),
}


def groups_dropped_by(event):
    """The groups an event makes stale (none for events that change no cached read)."""
    event_type = event.get("event_type")
    for types, groups in EVENT_DROPS.values():
        if event_type in types:
            return groups(event)
    return ()


def groups_written_by(route, caller_id, arguments):
    """The groups a write route drops; none for a read."""
    if route.method in READ_METHODS or route.service not in WRITE_DROPS:
        return ()
    return WRITE_DROPS[route.service](caller_id, arguments)


def cached_read(route):
    """The route's ``CachedRead``, or None when its answers are not cached."""
    return CACHED_READS.get((route.method, route.path))


def cache_key(route, caller_id, roles, arguments):
    """One answer's key: the route, the caller as the token names them, and the validated arguments."""
    who = f"{caller_id}:{','.join(sorted(roles))}" if caller_id else "anonymous"
    text = json.dumps([route.method, route.path, who, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
