"""Where a session takes place: online with a meeting link, or in person at a location.

A session takes its place when it is booked, from its coach's profile: an in-person coach's location, an online
coach's own meeting room, or else a link made from the ``meeting_url_template`` runtime setting (for instance
``https://meet.example.org/{session_id}``; empty: no link until the coach gives one). The coach (or an admin) may
then give one session its own place. The place is a snapshot: changing the profile later does not move booked
sessions. Only the session's two people and admins see it (sessions are theirs alone, booking.visible_session),
and their calendar feeds carry it.
"""

import uuid
from dataclasses import dataclass
from string import Formatter
from urllib.parse import urlsplit

from coaching.contracts import BOOKED, IN_PERSON, ONLINE
from common.exceptions import Conflict, ValidationError
from common.runtime_settings import Setting

TEMPLATE_FIELDS = {"session_id"}


def check_template(template):
    """Refuse a template that would not make an http(s) link from ``{session_id}`` alone ('' means none)."""
    if template == "":
        return
    problem = None
    try:
        names = {name for _, name, _, _ in Formatter().parse(template) if name is not None}
        if names - TEMPLATE_FIELDS:
            problem = f"only {{session_id}} may be filled in, not {sorted(names - TEMPLATE_FIELDS)}"
        else:
            link = urlsplit(template.format(session_id=uuid.UUID(int=0)))
            if link.scheme not in ("http", "https") or not link.netloc:
                problem = "must make an http(s) link"
    except ValueError as error:
        problem = f"is not a template: {error}"
    if problem:
        raise ValidationError(f"meeting_url_template {problem}", {"value": [problem]})


@dataclass(frozen=True)
class LinkTemplate(Setting):
    """A runtime setting holding a meeting link template, checked when an admin sets it."""

    def coerce(self, key, value):
        value = super().coerce(key, value)
        check_template(value)
        return value


def link_from(template, session_id):
    return template.format(session_id=session_id) if template else None


def place_at_booking(item, profile, template):
    """Give a new session (its id already set) its coach's place, or the templated link."""
    if profile.session_kind == IN_PERSON:
        set_place(item, IN_PERSON, None, profile.location)
    else:
        set_place(item, ONLINE, profile.meeting_url or link_from(template, item.id), None)


def set_place(item, kind, meeting_url, location):
    item.kind, item.meeting_url, item.location = kind, meeting_url, location


def change_place(item, profile, template, kind, meeting_url, location):
    """The coach's own place for one booked session (online without a link: the profile's room, else the
    template). Whether anything changed; each change raises the session's calendar SEQUENCE."""
    if item.status != BOOKED:
        raise Conflict(f"The session is already {item.status}")
    if kind == ONLINE and not meeting_url:
        meeting_url = profile.meeting_url or link_from(template, item.id)
    before = (item.kind, item.meeting_url, item.location)
    set_place(item, kind, meeting_url, location)
    changed = before != (item.kind, item.meeting_url, item.location)
    if changed:
        item.sequence += 1
    return changed


def check_profile(profile):
    """An in-person coach gives a location (checked on the profile as it is after a change)."""
    if profile.session_kind == IN_PERSON and not profile.location:
        raise ValidationError("An in-person coach gives a location", {"location": ["required for in_person"]})
