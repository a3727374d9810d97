"""The coaching service: coach profiles, availability, slots, sessions and notes. Entrypoints only."""

from coaching import booking, contracts, places, profiles, views
from coaching.models import Base, SessionNote
from coaching.store import Availability, Notes, Profiles, Sessions
from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.contracts import accepts
from common.events import DomainEvents
from common.exceptions import Forbidden
from common.ids import parse_uuid
from common.pagination import page_of
from common.roles import ADMIN, COACH
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.stores import SqlStore
from common.timers import ConfiguredTimer

SETTINGS = {
    "cancellation_window_hours": Setting(
        24,
        "Sessions cannot be cancelled or rescheduled (by either side) less than this many hours before the start",
        0,
        24 * 14,
    ),
    "meeting_url_template": places.LinkTemplate(
        "",
        "The meeting link of an online session whose coach gives none, made from {session_id} "
        "(e.g. https://meet.example.org/{session_id}); empty: no link until the coach gives one",
    ),
}


class CoachingService(service_base.PlatformService):
    name = "coaching"

    store = SqlStore(Base, profiles=Profiles, availability=Availability, sessions=Sessions, notes=Notes)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="sql")
    events = DomainEvents()
    # Bounded (SERVICE_RPC_TIMEOUT): a users service that is down is a 503, not a worker held for good.
    users = RpcProxy("users")

    # -- coach profiles ----------------------------------------------------

    @rpc
    @accepts(contracts.CoachSearch)
    def list_coaches(self, expertise, language, page, page_size):
        return profiles.search(self.store.profiles, expertise, language, page, page_size, self._profile_view)

    @rpc
    def get_coach(self, coach_id):
        return self._profile_view(self.store.profiles.get(parse_uuid(coach_id)))

    def _profile_view(self, profile):
        """A coach's meeting room and location are for the coach and admins (learners see them in sessions)."""
        private = self.caller.is_admin or self.caller.user_id == str(profile.user_id)
        return views.profile_view(profile, private=private)

    @rpc
    @accepts(contracts.CoachProfileChanges, changes="changes")
    def update_my_coach_profile(self, changes):
        user_id = self.caller.require_user()
        self.caller.require_role(COACH)
        profile = profiles.update_own(self.store.profiles, parse_uuid(user_id), self.users.get_account, changes)
        self.store.commit()
        return views.profile_view(profile, private=True)

    # -- availability and slots --------------------------------------------

    @rpc
    def get_availability(self, coach_id):
        profile = self.store.profiles.get(parse_uuid(coach_id))
        return views.availability_view(profile, *self.store.availability.of(profile.user_id))

    @rpc
    @accepts(contracts.NewAvailability)
    def set_availability(self, coach_id, weekly, exceptions):
        self.caller.require_self_or_admin(coach_id)
        profile = self.store.profiles.get(parse_uuid(coach_id), lock=True)
        self.store.availability.replace(profile.user_id, weekly, exceptions)
        self.store.commit()
        return views.availability_view(profile, *self.store.availability.of(profile.user_id))

    @rpc
    @accepts(contracts.SlotWindow)
    def list_slots(self, coach_id, start, end, page, page_size):
        profile = self.store.profiles.get(parse_uuid(coach_id))
        slots = booking.free_slots(self.store.session, profile, start, end, utcnow())
        return views.paged(slots, page, page_size, lambda slot: views.slot_view(profile, slot))

    # -- sessions ----------------------------------------------------------

    def _visible(self, session_id, lock=False):
        item_id = parse_uuid(session_id, "session")
        return booking.visible_session(self.store.sessions, item_id, self.caller.user_id, self.caller.is_admin, lock)

    def _publish(self, event_type, item, **metadata):
        """Every coaching event: ``user_id`` is the learner. Saved in the caller's transaction (the outbox)."""
        about = views.session_about(item, self.store.profiles.find(item.coach_id))
        self.events(event_type, user_id=item.learner_id, **about, **metadata)

    @rpc
    @accepts(contracts.BookSession)
    def book_session(self, coach_id, start, topic=None):
        learner_id = parse_uuid(self.caller.require_user())
        coach_uuid, template = parse_uuid(coach_id, "coach"), self.settings["meeting_url_template"]
        item = booking.book(self.store.session, coach_uuid, learner_id, start, topic, utcnow(), template)
        self._publish(events.SESSION_BOOKED, item)
        booking.commit(self.store.session)
        return views.session_view(item)

    @rpc
    @accepts(contracts.SessionSearch)
    def list_sessions(self, status, role, start, end, page, page_size):
        user_id = parse_uuid(self.caller.require_user())
        rows, total = self.store.sessions.search(user_id, role, status, start, end, page, page_size)
        return page_of([views.session_view(row) for row in rows], total, page, page_size)

    @rpc
    def get_session(self, session_id):
        self.caller.require_user()
        return views.session_view(self._visible(session_id))

    @rpc
    @accepts(contracts.CancelSession)
    def cancel_session(self, session_id, reason):
        user_id = self.caller.require_user()
        item = self._visible(session_id, lock=True)
        window = self.settings["cancellation_window_hours"]
        booking.cancel(item, parse_uuid(user_id), reason, utcnow(), window, self.caller.is_admin)
        self._publish(events.SESSION_CANCELLED, item, reason=item.cancel_reason, cancelled_by=user_id)
        self.store.commit()
        return views.session_view(item)

    @rpc
    @accepts(contracts.RescheduleSession)
    def reschedule_session(self, session_id, start):
        self.caller.require_user()
        item = self._visible(session_id)
        window = self.settings["cancellation_window_hours"]
        previous = booking.reschedule(self.store.session, item, start, utcnow(), window, self.caller.is_admin)
        self._publish(events.SESSION_RESCHEDULED, item, previous_start=isoformat(previous))
        booking.commit(self.store.session)
        return views.session_view(item)

    @rpc
    def complete_session(self, session_id):
        user_id = self.caller.require_user()
        item = self._visible(session_id, lock=True)
        booking.complete(item, user_id, self.caller.is_admin, utcnow())
        self._publish(events.SESSION_COMPLETED, item)
        self.store.commit()
        return views.session_view(item)

    @rpc
    @accepts(contracts.SessionPlace)
    def set_session_place(self, session_id, kind, meeting_url=None, location=None):
        user_id = self.caller.require_user()
        item = self._visible(session_id, lock=True)
        booking.require_coach(item, user_id, self.caller.is_admin, "gives a session's place")
        profile, template = self.store.profiles.get(item.coach_id), self.settings["meeting_url_template"]
        if places.change_place(item, profile, template, kind, meeting_url, location):
            self._publish(events.SESSION_PLACE_CHANGED, item, kind=item.kind, sequence=item.sequence)
            self.store.commit()
        return views.session_view(item)

    # -- notes -------------------------------------------------------------

    @rpc
    @accepts(contracts.NoteSearch)
    def list_notes(self, session_id, page, page_size):
        user_id = self.caller.require_user()
        item = self._visible(session_id)
        shared_only = not booking.is_note_writer(item, user_id)
        rows, total = self.store.notes.of_session(item.id, shared_only, page, page_size)
        return page_of([views.note_view(row) for row in rows], total, page, page_size)

    @rpc
    @accepts(contracts.AddNote)
    def add_note(self, session_id, body, shared):
        user_id = self.caller.require_user()
        item = self._visible(session_id)
        if not booking.is_note_writer(item, user_id):
            raise Forbidden("Only the coach writes session notes")
        note = self.store.notes.add(SessionNote(session_id=item.id, author_id=item.coach_id, body=body, shared=shared))
        if note.shared:
            self._publish(events.NOTE_SHARED, item, note_id=str(note.id))
        self.store.commit()
        return views.note_view(note)

    # -- internal and admin ------------------------------------------------

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    @rpc
    def sessions_for_calendar(self, user_id):
        """Internal (events' calendar feed): every session of a user, as learner or coach, any status."""
        return [views.session_view(row) for row in self.store.sessions.of_user(parse_uuid(user_id))]

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        return {
            "generated_at": isoformat(utcnow()),
            "coaches": self.store.profiles.count(),
            "sessions": self.store.sessions.count_by_status(),
        }
