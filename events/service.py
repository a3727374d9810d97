"""The events service: events, registrations and the waitlist, attendance, reminders, calendars. Entrypoints only."""

from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.contracts import accepts
from common.events import DomainEvents
from common.ids import parse_uuid
from common.pagination import page_of
from common.roles import ADMIN, COACH, INSTRUCTOR
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.stores import SqlStore
from common.timers import ConfiguredTimer
from events import attendance, contracts, feeds, organising, registrations, reminders, views
from events.contracts import REGISTERED
from events.models import Base
from events.store import CalendarFeeds, Events, Registrations

SETTINGS = {
    "reminder_lead_minutes": Setting(
        24 * 60, "Send EVENT_REMINDER this many minutes before an event starts", 1, 60 * 24 * 14
    ),
}
ORGANISER_ROLES = (INSTRUCTOR, COACH, ADMIN)
DEFAULT_REMINDER_INTERVAL = 60


class EventsService(service_base.PlatformService):
    name = "events"

    store = SqlStore(Base, events=Events, registrations=Registrations, feeds=CalendarFeeds)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="sql")
    events = DomainEvents()
    # Bounded (SERVICE_RPC_TIMEOUT): a coaching service that is down is a 503, not a worker held for good.
    coaching = RpcProxy("coaching")

    def _views(self, rows):
        return views.event_views(self.store.registrations, rows, self.caller.user_id, self.caller.is_admin)

    def _organised(self, event_id):
        """The event with its row locked (registrations.py), for its organiser or an admin only."""
        event = registrations.lock_event(self.store.session, parse_uuid(event_id, "event"))
        organising.require_organiser(event, self.caller.user_id, self.caller.is_admin)
        return event

    def _publish(self, event_type, event, user_id=None, **metadata):
        """Save the event in the caller's transaction (the outbox); the caller commits after this."""
        user_id = event.organiser_id if user_id is None else user_id
        self.events(event_type, user_id=user_id, **views.event_about(event), **metadata)

    # -- events ------------------------------------------------------------

    @rpc
    @accepts(contracts.EventSearch)
    def list_events(self, when, kind, q, organiser_id, page, page_size):
        organiser = parse_uuid(organiser_id) if organiser_id else None
        rows, total = self.store.events.search(when, kind, organiser, q, utcnow(), page, page_size)
        return page_of(self._views(rows), total, page, page_size)

    @rpc
    @accepts(contracts.NewEvent, changes="details")
    def create_event(self, details):
        organiser = self.caller.require_user()
        self.caller.require_role(*ORGANISER_ROLES)
        event = organising.create(self.store.events, parse_uuid(organiser), details)
        self._publish(events.EVENT_CREATED, event)
        self.store.commit()
        return self._views([event])[0]

    @rpc
    def get_event(self, event_id):
        return self._views([self.store.events.get(parse_uuid(event_id, "event"))])[0]

    @rpc
    @accepts(contracts.EventChanges, changes="changes")
    def update_event(self, event_id, changes):
        self.caller.require_user()
        event = self._organised(event_id)
        changed, promoted = organising.update(self.store.session, event, changes, utcnow())
        if changed:
            # recipient_ids: when, where or how to join changed, notifications tells everyone registered or waiting.
            told = self.store.registrations.attendee_ids(event.id) if organising.ATTENDEE_FIELDS & set(changed) else []
            self._publish(events.EVENT_UPDATED, event, fields=changed, sequence=event.sequence, recipient_ids=told)
            for registration in promoted:
                self._publish(
                    events.EVENT_PROMOTED, event, user_id=registration.user_id, registration_id=str(registration.id)
                )
            self.store.commit()
        return self._views([event])[0]

    @rpc
    def cancel_event(self, event_id):
        self.caller.require_user()
        event = self._organised(event_id)
        organising.cancel(event)
        # recipient_ids: notifications tells every registrant, not only the organiser.
        attendees = self.store.registrations.attendee_ids(event.id)
        self._publish(events.EVENT_CANCELLED, event, sequence=event.sequence, recipient_ids=attendees)
        self.store.commit()
        return self._views([event])[0]

    # -- registration ------------------------------------------------------

    @rpc
    def register(self, event_id):
        user_id = parse_uuid(self.caller.require_user())
        event_uuid = parse_uuid(event_id, "event")
        event, registration, changed = registrations.register(self.store.session, event_uuid, user_id, utcnow())
        if changed:
            kind = events.EVENT_REGISTERED if registration.status == REGISTERED else events.EVENT_WAITLISTED
            self._publish(kind, event, user_id=user_id, registration_id=str(registration.id))
        self.store.commit()
        return views.placed_registration_view(self.store.registrations, registration)

    @rpc
    def unregister(self, event_id):
        user_id = parse_uuid(self.caller.require_user())
        event_uuid = parse_uuid(event_id, "event")
        event, registration, promoted = registrations.withdraw(self.store.session, event_uuid, user_id, utcnow())
        for item in promoted:
            self._publish(events.EVENT_PROMOTED, event, user_id=item.user_id, registration_id=str(item.id))
        self.store.commit()
        return {"registration": views.registration_view(registration), "promoted": [str(i.user_id) for i in promoted]}

    @rpc
    @accepts(contracts.RegistrationSearch)
    def list_registrations(self, event_id, status, attended, page, page_size):
        self.caller.require_user()
        event = self.store.events.get(parse_uuid(event_id, "event"))
        organising.require_organiser(event, self.caller.user_id, self.caller.is_admin)
        rows, total = self.store.registrations.of_event(event.id, status, attended, page, page_size)
        return page_of(views.registration_views(self.store.registrations, rows), total, page, page_size)

    @rpc
    @accepts(contracts.MarkAttendance)
    def mark_attendance(self, event_id, user_ids):
        """Check registered attendees in once the event has started; EVENT_ATTENDED once per attendee, ever."""
        marked_by = parse_uuid(self.caller.require_user())
        event = self._organised(event_id)
        people = [parse_uuid(user_id) for user_id in user_ids]
        newly, already = attendance.mark(self.store.session, event, people, utcnow(), marked_by)
        # Saved with the marks, under the event's row lock (the outbox): a concurrent check-in waits for the lock
        # and finds them marked. The envelope event_id is the registration's, so the event is one to consumers.
        for registration in newly:
            self._publish(events.EVENT_ATTENDED, event, **attendance.attended_metadata(registration))
        answer = views.attendance_view(event, newly, already, attendance.attended_count(self.store.session, event.id))
        self.store.commit()
        return answer

    @rpc
    @accepts(contracts.MyRegistrationSearch)
    def my_registrations(self, page, page_size):
        user_id = self.caller.require_user()
        rows, total = self.store.registrations.of_user(parse_uuid(user_id), page, page_size)
        items = views.my_registration_views(self.store.registrations, rows, user_id, self.caller.is_admin)
        return page_of(items, total, page, page_size)

    # -- reminders ---------------------------------------------------------

    @ConfiguredTimer.decorator("EVENTS", "REMINDER_INTERVAL_SECONDS", DEFAULT_REMINDER_INTERVAL)
    def send_reminders(self):
        return self.run_reminders()

    @rpc
    def run_reminders(self):
        """Internal (the timer, operators): publish EVENT_REMINDER for every due registration, once each."""
        self.caller.require_role(ADMIN)
        lead = self.settings["reminder_lead_minutes"]

        def publish(event, user_id, registration_id):
            registration = str(registration_id)
            self._publish(
                events.EVENT_REMINDER, event, user_id=user_id, registration_id=registration, lead_minutes=lead
            )

        return {"sent": reminders.send_due(self.store.session, utcnow(), lead, publish)}

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    # -- calendars ---------------------------------------------------------

    @rpc
    def event_calendar(self, event_id):
        event = self.store.events.get(parse_uuid(event_id, "event"))
        mine = self.store.registrations.statuses_of(self.caller.user_id, [event.id]).get(event.id)
        return feeds.event_file(event, views.can_join(event, mine, self.caller.user_id, self.caller.is_admin))

    @rpc
    def rotate_calendar_token(self):
        user_id = parse_uuid(self.caller.require_user())
        answer = feeds.rotate(self.store.feeds, user_id, utcnow())
        self.store.commit()
        return answer

    @rpc
    def revoke_calendar_token(self):
        user_id = parse_uuid(self.caller.require_user())
        revoked = feeds.revoke(self.store.feeds, user_id)
        self.store.commit()
        return {"revoked": revoked}

    @rpc
    def calendar_feed(self, token):
        """The personal feed behind a secret URL (no login): the token alone names the user."""
        user_id = self.store.feeds.by_token_hash(feeds.hash_token(str(token))).user_id
        rows = self.store.events.in_feed_of(user_id)
        return feeds.personal_file(user_id, rows, self.coaching.sessions_for_calendar(str(user_id)))

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        now = utcnow()
        return {
            "generated_at": isoformat(now),
            "events": self.store.events.count(),
            "upcoming": self.store.events.upcoming_count(now),
            "registrations": self.store.registrations.count_by_status(),
        }
