"""How coaching's records look on the wire (the answers of contracts.py) and in its events."""

from datetime import timedelta

from common.clock import isoformat
from common.pagination import offset_of, page_of


def paged(rows, page, page_size, view):
    """One page of a list made in Python (coaches filtered on their tags, computed slots), as every list answers."""
    start = offset_of(page, page_size)
    return page_of([view(row) for row in rows[start : start + page_size]], len(rows), page, page_size)


def profile_view(profile, private=False):
    """``private``: for the coach themself or an admin, with the meeting room and location of their sessions."""
    return {
        "id": str(profile.user_id),
        "user_id": str(profile.user_id),
        "name": profile.name,
        "bio": profile.bio,
        "expertise": list(profile.expertise or []),
        "languages": list(profile.languages or []),
        "timezone": profile.timezone,
        "session_minutes": profile.session_minutes,
        "buffer_minutes": profile.buffer_minutes,
        "min_notice_minutes": profile.min_notice_minutes,
        "price_cents": profile.price_cents,
        "currency": profile.currency,
        "session_kind": profile.session_kind,
        "meeting_url": profile.meeting_url if private else None,
        "location": profile.location if private else None,
        "updated_at": isoformat(profile.updated_at),
    }


def _wall(value):
    return value.strftime("%H:%M") if value else None


def availability_view(profile, weekly, exceptions):
    return {
        "coach_id": str(profile.user_id),
        "timezone": profile.timezone,
        "weekly": [
            {"weekday": w.weekday, "start": _wall(w.start_time), "end": _wall(w.end_time)}
            for w in sorted(weekly, key=lambda w: (w.weekday, w.start_time))
        ],
        "exceptions": [
            {"date": e.day.isoformat(), "kind": e.kind, "start": _wall(e.start_time), "end": _wall(e.end_time)}
            for e in sorted(exceptions, key=lambda e: (e.day, e.kind))
        ],
    }


def slot_view(profile, slot):
    return {"start": isoformat(slot), "end": isoformat(slot + timedelta(minutes=profile.session_minutes))}


def session_title(item):
    """How a session is named to people (notifications, calendars): "Coaching session[: topic]"."""
    return "Coaching session" + (f": {item.topic}" if item.topic else "")


def session_view(item):
    return {
        "id": str(item.id),
        "coach_id": str(item.coach_id),
        "learner_id": str(item.learner_id),
        "start": isoformat(item.start_at),
        "end": isoformat(item.end_at),
        "status": item.status,
        "topic": item.topic,
        "kind": item.kind,
        "meeting_url": item.meeting_url,
        "location": item.location,
        "cancel_reason": item.cancel_reason,
        "cancelled_by": str(item.cancelled_by) if item.cancelled_by else None,
        "sequence": item.sequence,
        "created_at": isoformat(item.created_at),
        "updated_at": isoformat(item.updated_at),
    }


def note_view(note):
    return {
        "id": str(note.id),
        "session_id": str(note.session_id),
        "author_id": str(note.author_id),
        "body": note.body,
        "shared": note.shared,
        "created_at": isoformat(note.created_at),
    }


def session_about(item, coach):
    """The metadata of every coaching event (docs/coaching-and-events.md); ``coach`` is its profile, or None."""
    return {
        "session_id": str(item.id),
        "coach_id": str(item.coach_id),
        "learner_id": str(item.learner_id),
        "coach_name": coach.name if coach is not None else None,
        "starts_at": isoformat(item.start_at),
        "ends_at": isoformat(item.end_at),
        "title": session_title(item),
        "topic": item.topic,
    }
