"""The events service: events, registrations and the waitlist, reminders, calendars. Entrypoints only."""

import base64
import hashlib
import secrets

from sqlalchemy import func, or_, select

from common import events, service_base
from common.clock import as_utc, isoformat, utcnow
from common.context import Caller
from common.events import DomainEvents
from common.exceptions import Conflict, Forbidden, NotFound
from common.ids import parse_uuid
from common.pagination import offset_of, page_of
from common.roles import ADMIN, COACH, INSTRUCTOR
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.sql import Database
from common.timers import ConfiguredTimer
from common.validation import load
from events import attendance, calendar, registrations, reminders
from events.models import (
    CANCELLED,
    REGISTERED,
    SCHEDULED,
    WAITLISTED,
    WITHDRAWN,
    Base,
    CalendarFeed,
    Event,
    Registration,
)
from events.schemas import (
    AttendanceSchema,
    CreateEventSchema,
    EventFieldsSchema,
    EventListSchema,
    check_event,
    event_view,
    registration_view,
)

SETTINGS = {
    "reminder_lead_minutes": Setting(
        24 * 60, "Send EVENT_REMINDER this many minutes before an event starts", 1, 60 * 24 * 14
    ),
}
ORGANISER_ROLES = (INSTRUCTOR, COACH, ADMIN)
DEFAULT_REMINDER_INTERVAL = 60
FIELDS = tuple(CreateEventSchema().fields)
TIME_FIELDS = ("starts_at", "ends_at", "registration_deadline")
ATTENDEE_FIELDS = {"title", "kind", "join_url", "location", "timezone", "starts_at", "ends_at"}


def same_value(field, stored, sent):
    if field in TIME_FIELDS and stored is not None and sent is not None:
        return as_utc(stored) == as_utc(sent)
    return stored == sent


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class EventsService(service_base.PlatformService):
    name = "events"

    db = Database(Base)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="sql")
    events = DomainEvents()
    # For events whose envelope id is fixed by us (EVENT_ATTENDED), so a repeated publish is one event to consumers.
    # Bounded (SERVICE_RPC_TIMEOUT): a coaching service that is down is a 503, not a worker held for good.
    coaching = RpcProxy("coaching")

    # -- helpers -----------------------------------------------------------

    def _event(self, event_id):
        event = self.db.session.get(Event, parse_uuid(event_id, "event"))
        if event is None:
            raise NotFound("No such event")
        return event

    def _counts(self, event_ids):
        rows = self.db.session.execute(
            select(Registration.event_id, Registration.status, func.count())
            .where(Registration.event_id.in_(event_ids), Registration.status.in_([REGISTERED, WAITLISTED]))
            .group_by(Registration.event_id, Registration.status)
        ).all()
        return {(event_id, status): count for event_id, status, count in rows}

    def _mine(self, event_ids):
        if not self.caller.user_id or not event_ids:
            return {}
        rows = self.db.session.execute(
            select(Registration.event_id, Registration.status).where(
                Registration.event_id.in_(event_ids),
                Registration.user_id == parse_uuid(self.caller.user_id),
                Registration.status != WITHDRAWN,
            )
        ).all()
        return dict(rows)

    def _is_organiser(self, event):
        return self.caller.is_admin or self.caller.user_id == str(event.organiser_id)

    def _views(self, rows):
        ids = [row.id for row in rows]
        counts, mine = self._counts(ids), self._mine(ids)
        return [
            event_view(
                row,
                counts.get((row.id, REGISTERED), 0),
                counts.get((row.id, WAITLISTED), 0),
                show_join_url=self._is_organiser(row) or mine.get(row.id) == REGISTERED,
                my_status=mine.get(row.id),
            )
            for row in rows
        ]

    def _require_organiser(self, event):
        if not self._is_organiser(event):
            raise Forbidden("Only the organiser or an admin may do this")

    @staticmethod
    def _about(event):
        """The metadata every published event of this service carries (docs/coaching-and-events.md)."""
        return {
            "event_id": str(event.id),
            "title": event.title,
            "starts_at": isoformat(event.starts_at),
            "ends_at": isoformat(event.ends_at),
            "organiser_id": str(event.organiser_id),
        }

    def _publish(self, event_type, event, user_id=None, **metadata):
        """Save the event in the caller's transaction (the outbox); the caller commits after this."""
        self.db.session.flush()  # a new event's id
        user_id = user_id if user_id is not None else event.organiser_id
        self.events(event_type, user_id=user_id, **self._about(event), **metadata)

    def _attendee_ids(self, event):
        """Everyone registered for ``event`` or waiting for a place."""
        rows = self.db.session.scalars(
            select(Registration.user_id).where(
                Registration.event_id == event.id, Registration.status.in_([REGISTERED, WAITLISTED])
            )
        )
        return [str(user_id) for user_id in rows]

    def _publish_attended(self, event, registration):
        self.events(
            events.EVENT_ATTENDED,
            user_id=registration.user_id,
            envelope_id=attendance.occurrence_id(registration.id),
            **self._about(event),
            registration_id=str(registration.id),
            attended_at=isoformat(registration.attended_at),
            marked_by=str(registration.attended_by),
        )

    # -- events ------------------------------------------------------------

    @rpc
    def list_events(self, **payload):
        query = load(EventListSchema(), payload)
        now = utcnow()
        statement = select(Event)
        if query["when"] == "upcoming":
            statement = statement.where(Event.ends_at > now, Event.status == SCHEDULED).order_by(Event.starts_at)
        elif query["when"] == "past":
            statement = statement.where(Event.ends_at <= now).order_by(Event.starts_at.desc())
        else:
            statement = statement.order_by(Event.starts_at)
        if query["kind"]:
            statement = statement.where(Event.kind == query["kind"])
        if query["organiser_id"]:
            statement = statement.where(Event.organiser_id == query["organiser_id"])
        if query["q"]:
            pattern = f"%{query['q'].lower()}%"
            statement = statement.where(
                or_(func.lower(Event.title).like(pattern), func.lower(Event.description).like(pattern))
            )
        session = self.db.session
        total = session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = session.scalars(
            statement.order_by(Event.id).offset(offset_of(query["page"], query["page_size"])).limit(query["page_size"])
        ).all()
        return page_of(self._views(rows), total, query["page"], query["page_size"])

    @rpc
    def create_event(self, **payload):
        organiser = self.caller.require_user()
        self.caller.require_role(*ORGANISER_ROLES)
        data = load(CreateEventSchema(), payload)
        check_event(data)
        event = Event(organiser_id=parse_uuid(organiser), status=SCHEDULED, sequence=0, **data)
        self.db.session.add(event)
        self._publish(events.EVENT_CREATED, event)
        self.db.session.commit()
        return self._views([event])[0]

    @rpc
    def get_event(self, event_id):
        return self._views([self._event(event_id)])[0]

    @rpc
    def update_event(self, event_id, **payload):
        self.caller.require_user()
        changes = load(EventFieldsSchema(), payload)
        event = registrations.lock_event(self.db.session, parse_uuid(event_id, "event"))
        self._require_organiser(event)
        if event.status == CANCELLED:
            raise Conflict("A cancelled event cannot change")
        merged = {name: getattr(event, name) for name in FIELDS}
        merged.update(changes)
        for key in TIME_FIELDS:
            merged[key] = as_utc(merged[key])
        check_event(merged)
        # A form sent back whole changes only what differs: the rest must not bump SEQUENCE nor tell anyone.
        changes = {key: value for key, value in changes.items() if not same_value(key, getattr(event, key), value)}
        if not changes:
            self.db.session.rollback()  # nothing to write: let the event's row lock go
            return self._views([event])[0]
        for key, value in changes.items():
            setattr(event, key, value)
        event.sequence += 1
        promoted = registrations.promote(self.db.session, event, utcnow())  # a larger capacity frees seats
        # recipient_ids: when, where or how to join changed, notifications tells everyone registered or waiting.
        told = self._attendee_ids(event) if ATTENDEE_FIELDS & set(changes) else []
        self._publish(events.EVENT_UPDATED, event, fields=sorted(changes), sequence=event.sequence, recipient_ids=told)
        for registration in promoted:
            self._publish(
                events.EVENT_PROMOTED, event, user_id=registration.user_id, registration_id=str(registration.id)
            )
        self.db.session.commit()
        return self._views([event])[0]

    @rpc
    def cancel_event(self, event_id):
        self.caller.require_user()
        event = registrations.lock_event(self.db.session, parse_uuid(event_id, "event"))
        self._require_organiser(event)
        if event.status == CANCELLED:
            raise Conflict("The event is already cancelled")
        event.status = CANCELLED
        event.sequence += 1
        attendees = self._attendee_ids(event)
        # recipient_ids: notifications tells every registrant, not only the organiser.
        self._publish(events.EVENT_CANCELLED, event, sequence=event.sequence, recipient_ids=attendees)
        self.db.session.commit()
        return self._views([event])[0]

    # -- registration ------------------------------------------------------

    @rpc
    def register(self, event_id):
        user_id = parse_uuid(self.caller.require_user())
        event, registration, changed = registrations.register(
            self.db.session, parse_uuid(event_id, "event"), user_id, utcnow()
        )
        if changed:
            kind = events.EVENT_REGISTERED if registration.status == REGISTERED else events.EVENT_WAITLISTED
            self._publish(kind, event, user_id=user_id, registration_id=str(registration.id))
        self.db.session.commit()
        return self._registration_view(registration)

    def _registration_view(self, registration):
        position = None
        if registration.status == WAITLISTED:
            position = 1 + self.db.session.scalar(
                select(func.count()).where(
                    Registration.event_id == registration.event_id,
                    Registration.status == WAITLISTED,
                    Registration.position < registration.position,
                )
            )
        return registration_view(registration, position)

    @rpc
    def unregister(self, event_id):
        user_id = parse_uuid(self.caller.require_user())
        event, registration, promoted = registrations.withdraw(
            self.db.session, parse_uuid(event_id, "event"), user_id, utcnow()
        )
        for item in promoted:
            self._publish(events.EVENT_PROMOTED, event, user_id=item.user_id, registration_id=str(item.id))
        self.db.session.commit()
        return {"registration": registration_view(registration), "promoted": [str(item.user_id) for item in promoted]}

    @rpc
    def list_registrations(self, event_id, **payload):
        self.caller.require_user()
        event = self._event(event_id)
        self._require_organiser(event)
        rows = self.db.session.scalars(
            select(Registration)
            .where(Registration.event_id == event.id, Registration.status != WITHDRAWN)
            .order_by(Registration.position)
        ).all()
        waiting = [row for row in rows if row.status == WAITLISTED]
        return {
            "event_id": str(event.id),
            "capacity": event.capacity,
            "attended": sum(1 for row in rows if row.attended_at is not None),
            "registered": [registration_view(row) for row in rows if row.status == REGISTERED],
            "waitlist": [registration_view(row, index + 1) for index, row in enumerate(waiting)],
        }

    @rpc
    def mark_attendance(self, event_id, **payload):
        """Check registered attendees in once the event has started; EVENT_ATTENDED once per attendee, ever."""
        marked_by = parse_uuid(self.caller.require_user())
        user_ids = load(AttendanceSchema(), payload)["user_ids"]
        session = self.db.session
        event = registrations.lock_event(session, parse_uuid(event_id, "event"))
        self._require_organiser(event)
        newly, already = attendance.mark(session, event, user_ids, utcnow(), marked_by)
        # Saved with the marks, under the event's row lock (the outbox): a concurrent check-in waits for the lock
        # and finds them marked. The envelope event_id is the registration's, so the event is one to consumers.
        for registration in newly:
            self._publish_attended(event, registration)
        answer = {
            "event_id": str(event.id),
            "marked": [str(row.user_id) for row in newly],
            "already_marked": [str(row.user_id) for row in already],
            "attended": attendance.attended_count(session, event.id),
        }
        session.commit()
        return answer

    @rpc
    def my_registrations(self):
        user_id = parse_uuid(self.caller.require_user())
        rows = self.db.session.execute(
            select(Registration, Event)
            .join(Event, Event.id == Registration.event_id)
            .where(Registration.user_id == user_id, Registration.status != WITHDRAWN)
            .order_by(Event.starts_at)
        ).all()
        return {
            "items": [
                {"registration": self._registration_view(registration), "event": self._views([event])[0]}
                for registration, event in rows
            ]
        }

    # -- reminders ---------------------------------------------------------

    @ConfiguredTimer.decorator("EVENTS", "REMINDER_INTERVAL_SECONDS", DEFAULT_REMINDER_INTERVAL)
    def send_reminders(self):
        return self.run_reminders()

    @rpc
    def run_reminders(self):
        """Internal (the timer, operators): publish EVENT_REMINDER for every due registration, once each."""
        self.caller.require_role(ADMIN)

        def publish(event, user_id, registration_id):
            self._publish(
                events.EVENT_REMINDER,
                event,
                user_id=user_id,
                registration_id=str(registration_id),
                lead_minutes=lead,
            )

        lead = self.settings["reminder_lead_minutes"]
        return {"sent": reminders.send_due(self.db.session, utcnow(), lead, publish)}

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    # -- calendars ---------------------------------------------------------

    @rpc
    def event_calendar(self, event_id):
        event = self._event(event_id)
        mine = self._mine([event.id])
        cal = calendar.new_calendar(event.title)
        cal.add_component(
            calendar.event_component(event, self._is_organiser(event) or mine.get(event.id) == REGISTERED)
        )
        return _ics_file(calendar.render(cal), f"event-{event.id}.ics")

    @rpc
    def rotate_calendar_token(self):
        user_id = parse_uuid(self.caller.require_user())
        token = secrets.token_urlsafe(32)
        session = self.db.session
        feed = session.get(CalendarFeed, user_id, with_for_update=True)
        if feed is None:
            feed = CalendarFeed(user_id=user_id)
            session.add(feed)
        feed.token_hash, feed.created_at = hash_token(token), utcnow()
        session.commit()
        return {"token": token, "path": f"/events/calendar/{token}.ics"}

    @rpc
    def revoke_calendar_token(self):
        user_id = parse_uuid(self.caller.require_user())
        feed = self.db.session.get(CalendarFeed, user_id)
        if feed is not None:
            self.db.session.delete(feed)
            self.db.session.commit()
        return {"revoked": feed is not None}

    @rpc
    def calendar_feed(self, token):
        """The personal feed behind a secret URL (no login): the token alone names the user."""
        session = self.db.session
        feed = session.scalars(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(str(token)))).first()
        if feed is None:
            raise NotFound("No such calendar")
        user_id = feed.user_id
        rows = session.execute(
            select(Event, Registration.status, Registration.changes)
            .outerjoin(Registration, (Registration.event_id == Event.id) & (Registration.user_id == user_id))
            .where(or_(Event.organiser_id == user_id, Registration.status.in_([REGISTERED, WAITLISTED, WITHDRAWN])))
            .order_by(Event.starts_at)
        ).all()
        cal = calendar.new_calendar("My events and coaching sessions")
        for event, status, changes in rows:
            own = event.organiser_id == user_id
            component = calendar.event_component(
                event,
                show_join_url=status == REGISTERED or own,
                # Both counters only grow, so the feed's SEQUENCE grows with the event's and the registration's changes.
                sequence=event.sequence + (changes or 0),
                cancelled=status == WITHDRAWN and not own,  # the user left: calendars drop it
            )
            cal.add_component(component)
        for item in self.coaching.sessions_for_calendar(str(user_id)):
            cal.add_component(calendar.session_component(item))
        return _ics_file(calendar.render(cal), "calendar.ics")

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        session = self.db.session
        by_status = dict(session.execute(select(Registration.status, func.count()).group_by(Registration.status)).all())
        return {
            "generated_at": isoformat(utcnow()),
            "events": session.scalar(select(func.count()).select_from(Event)),
            "upcoming": session.scalar(
                select(func.count()).where(Event.starts_at > utcnow(), Event.status == SCHEDULED)
            ),
            "registrations": {key: by_status.get(key, 0) for key in (REGISTERED, WAITLISTED, WITHDRAWN)},
        }


def _ics_file(body, filename):
    return {
        "content_type": "text/calendar; charset=utf-8",
        "filename": filename,
        "body_base64": base64.b64encode(body).decode(),
    }
