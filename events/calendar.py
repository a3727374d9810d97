"""iCalendar (RFC 5545) files with the icalendar library.

UIDs are derived from the stored ids (stable across updates); SEQUENCE is the
row's ``sequence`` column, raised on every change; cancelled items stay in the
feed with STATUS:CANCELLED so subscribed calendars remove them.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event as VEvent

from common.clock import as_utc, utcnow

PRODID = "-//Learning Platform//Events and Coaching//EN"
UID_DOMAIN = "lnd.platform"


def new_calendar(name):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def event_component(event, show_join_url, sequence=None, cancelled=False):
    zone = ZoneInfo(event.timezone)
    item = VEvent()
    item.add("uid", f"event-{event.id}@{UID_DOMAIN}")
    item.add("dtstamp", utcnow())
    item.add("dtstart", as_utc(event.starts_at).astimezone(zone))
    item.add("dtend", as_utc(event.ends_at).astimezone(zone))
    item.add("summary", event.title)
    item.add("sequence", event.sequence if sequence is None else sequence)
    item.add("status", "CANCELLED" if cancelled or event.status == "cancelled" else "CONFIRMED")
    item.add("last-modified", as_utc(event.updated_at))
    if event.description:
        item.add("description", event.description)
    if event.location:
        item.add("location", event.location)
    if show_join_url and event.join_url:
        item.add("url", event.join_url)
    return item


def session_component(session, zone_name="UTC"):
    """A coaching session as received over RPC (session_view of coaching)."""
    zone = ZoneInfo(zone_name)
    item = VEvent()
    item.add("uid", f"session-{session['id']}@{UID_DOMAIN}")
    item.add("dtstamp", utcnow())
    item.add("dtstart", _parse(session["start"]).astimezone(zone))
    item.add("dtend", _parse(session["end"]).astimezone(zone))
    item.add("summary", "Coaching session" + (f": {session['topic']}" if session.get("topic") else ""))
    item.add("sequence", session["sequence"])
    item.add("status", "CANCELLED" if session["status"] == "cancelled" else "CONFIRMED")
    # The feed is its owner's (a party of each session): the link is theirs to see. Calendar applications show
    # LOCATION where few show URL, so an online session's link is both.
    if session.get("meeting_url"):
        item.add("url", session["meeting_url"])
    if session.get("location") or session.get("meeting_url"):
        item.add("location", session.get("location") or session["meeting_url"])
    return item


def _parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def render(calendar):
    # VTIMEZONE components for every TZID used, as RFC 5545 requires.
    calendar.add_missing_timezones()
    return calendar.to_ical()
