"""Calendar files: one event's .ics, and each user's personal feed behind a secret URL.

The feed's token is shown once and stored as its SHA-256, so the table alone
opens no one's calendar; rotating replaces it, revoking deletes it.
"""

import base64
import hashlib
import secrets

from events import calendar
from events.contracts import CANCELLED, REGISTERED
from events.models import CalendarFeed


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def ics_file(body, filename):
    """What a file route of the gateway sends as is (gateway/routes/table.py)."""
    return {
        "content_type": "text/calendar; charset=utf-8",
        "filename": filename,
        "body_base64": base64.b64encode(body).decode(),
    }


def event_file(event, show_join_url):
    cal = calendar.new_calendar(event.title)
    cal.add_component(calendar.event_component(event, show_join_url))
    return ics_file(calendar.render(cal), f"event-{event.id}.ics")


def rotate(feeds, user_id, now):
    """A new secret token for the user's feed (the old one stops working)."""
    token = secrets.token_urlsafe(32)
    feed = feeds.of_user(user_id, lock=True)
    if feed is None:
        feed = CalendarFeed(user_id=user_id)
        feeds.add(feed)
    feed.token_hash, feed.created_at = hash_token(token), now
    return {"token": token, "path": f"/events/calendar/{token}.ics"}


def revoke(feeds, user_id):
    """Whether the user had a feed, now gone."""
    feed = feeds.of_user(user_id)
    if feed is not None:
        feeds.remove(feed)
    return feed is not None


def personal_file(user_id, rows, sessions):
    """The user's feed: ``rows`` from ``Events.in_feed_of``, ``sessions`` from coaching's sessions_for_calendar."""
    cal = calendar.new_calendar("My events and coaching sessions")
    for event, status, changes in rows:
        own = event.organiser_id == user_id
        component = calendar.event_component(
            event,
            show_join_url=status == REGISTERED or own,
            # Both counters only grow, so the feed's SEQUENCE grows with the event's and the registration's changes.
            sequence=event.sequence + (changes or 0),
            cancelled=status == CANCELLED and not own,  # the user left: calendars drop it
        )
        cal.add_component(component)
    for item in sessions:
        cal.add_component(calendar.session_component(item))
    return ics_file(calendar.render(cal), "calendar.ics")
