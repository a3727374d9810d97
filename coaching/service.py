"""The coaching service: coach profiles, availability, slots, sessions and notes. Entrypoints only."""

from datetime import timedelta

from sqlalchemy import func, or_, select

from coaching import booking
from coaching.models import (
    BOOKED,
    CANCELLED,
    COMPLETED,
    AvailabilityException,
    Base,
    CoachingSession,
    CoachProfile,
    SessionNote,
    WeeklyWindow,
)
from coaching.schemas import (
    AvailabilitySchema,
    BookSchema,
    CancelSchema,
    CoachListSchema,
    NoteSchema,
    ProfileSchema,
    RangeSchema,
    RescheduleSchema,
    SessionListSchema,
    availability_view,
    note_view,
    profile_view,
    session_title,
    session_view,
)
from common import events, service_base
from common.clock import as_utc, isoformat, utcnow
from common.context import Caller
from common.events import DomainEvents
from common.exceptions import Conflict, Forbidden, NotFound, ValidationError
from common.ids import parse_uuid
from common.pagination import offset_of, page_of
from common.roles import ADMIN, COACH
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.sql import Database
from common.timers import ConfiguredTimer
from common.validation import load

SETTINGS = {
    "cancellation_window_hours": Setting(
        24, "Sessions cannot be cancelled (by either side) less than this many hours before the start", 0, 24 * 14
    ),
}


class CoachingService(service_base.PlatformService):
    name = "coaching"

    db = Database(Base)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS, store="sql")
    events = DomainEvents()
    # Bounded (SERVICE_RPC_TIMEOUT): a users service that is down is a 503, not a worker held for good.
    users = RpcProxy("users")

    # -- coach profiles ----------------------------------------------------

    @rpc
    def list_coaches(self, **payload):
        query = load(CoachListSchema(), payload)
        rows = self.db.session.scalars(select(CoachProfile).order_by(CoachProfile.name, CoachProfile.user_id)).all()
        # Tags are JSON lists; filtering them in Python keeps SQLite and PostgreSQL alike (coaches are few).
        if query["expertise"]:
            wanted = query["expertise"].lower()
            rows = [row for row in rows if wanted in {tag.lower() for tag in row.expertise or []}]
        if query["language"]:
            wanted = query["language"].lower()
            rows = [row for row in rows if wanted in {tag.lower() for tag in row.languages or []}]
        start = offset_of(query["page"], query["page_size"])
        items = [profile_view(row) for row in rows[start : start + query["page_size"]]]
        return page_of(items, len(rows), query["page"], query["page_size"])

    @rpc
    def get_coach(self, coach_id):
        return profile_view(booking.get_profile(self.db.session, parse_uuid(coach_id)))

    @rpc
    def update_my_coach_profile(self, **payload):
        user_id = self.caller.require_user()
        self.caller.require_role(COACH)
        changes = load(ProfileSchema(), payload)
        session = self.db.session
        profile = session.get(CoachProfile, parse_uuid(user_id))
        if profile is None:
            account = self.users.get_account(user_id)
            if account is None or COACH not in account.get("roles", []):
                raise Forbidden("Only an existing user with the coach role has a coach profile")
            profile = CoachProfile(user_id=parse_uuid(user_id), name=account.get("name"), expertise=[], languages=[])
            session.add(profile)
        for key, value in changes.items():
            setattr(profile, key, value)
        session.commit()
        return profile_view(profile)

    # -- availability and slots --------------------------------------------

    @rpc
    def get_availability(self, coach_id):
        session = self.db.session
        profile = booking.get_profile(session, parse_uuid(coach_id))
        return availability_view(profile, *booking.availability(session, profile.user_id))

    @rpc
    def set_availability(self, coach_id, **payload):
        self.caller.require_self_or_admin(coach_id)
        data = load(AvailabilitySchema(), payload)
        session = self.db.session
        profile = booking.get_profile(session, parse_uuid(coach_id), lock=True)
        for model in (WeeklyWindow, AvailabilityException):
            for row in session.scalars(select(model).where(model.coach_id == profile.user_id)).all():
                session.delete(row)
        for window in data["weekly"]:
            session.add(
                WeeklyWindow(
                    coach_id=profile.user_id,
                    weekday=window["weekday"],
                    start_time=window["start"],
                    end_time=window["end"],
                )
            )
        for item in data["exceptions"]:
            session.add(
                AvailabilityException(
                    coach_id=profile.user_id,
                    day=item["date"],
                    kind=item["kind"],
                    start_time=item["start"],
                    end_time=item["end"],
                )
            )
        session.commit()
        return availability_view(profile, *booking.availability(session, profile.user_id))

    @rpc
    def list_slots(self, coach_id, **payload):
        window = load(RangeSchema(), payload)
        session = self.db.session
        profile = booking.get_profile(session, parse_uuid(coach_id))
        slots = booking.free_slots(session, profile, window["start"], window["end"], utcnow())
        length = timedelta(minutes=profile.session_minutes)
        return {
            "coach_id": str(profile.user_id),
            "timezone": profile.timezone,
            "slots": [{"start": isoformat(slot), "end": isoformat(slot + length)} for slot in slots],
        }

    # -- sessions ----------------------------------------------------------

    def _session_for(self, session_id, lock=False):
        query = select(CoachingSession).where(CoachingSession.id == parse_uuid(session_id))
        if lock:
            query = query.with_for_update()
        item = self.db.session.scalars(query).first()
        if item is None:
            raise NotFound("No such session")
        user_id = self.caller.user_id
        if not (self.caller.is_admin or user_id in (str(item.coach_id), str(item.learner_id))):
            raise NotFound("No such session")
        return item

    def _publish(self, event_type, item, **metadata):
        """Every coaching event: ``user_id`` is the learner; the metadata of docs/coaching-and-events.md."""
        coach = self.db.session.get(CoachProfile, item.coach_id)
        about = {
            "session_id": str(item.id),
            "coach_id": str(item.coach_id),
            "learner_id": str(item.learner_id),
            "coach_name": coach.name if coach is not None else None,
            "starts_at": isoformat(item.start_at),
            "ends_at": isoformat(item.end_at),
            "title": session_title(item),
            "topic": item.topic,
        }
        # Saved in the caller's transaction (the outbox): the caller commits after this.
        self.events(event_type, user_id=item.learner_id, **about, **metadata)

    @rpc
    def book_session(self, **payload):
        learner_id = self.caller.require_user()
        data = load(BookSchema(), payload)
        if str(data["coach_id"]) == learner_id:
            raise ValidationError("Coaches do not book themselves", {"coach_id": ["is you"]})
        item = booking.book(
            self.db.session, data["coach_id"], parse_uuid(learner_id), data["start"], data["topic"], utcnow()
        )
        self._publish(events.SESSION_BOOKED, item)
        booking.commit(self.db.session)
        return session_view(item)

    @rpc
    def list_sessions(self, **payload):
        user_id = parse_uuid(self.caller.require_user())
        query = load(SessionListSchema(), payload)
        mine = {
            "learner": CoachingSession.learner_id == user_id,
            "coach": CoachingSession.coach_id == user_id,
        }
        condition = mine[query["role"]] if query["role"] else or_(*mine.values())
        statement = select(CoachingSession).where(condition)
        if query["status"]:
            statement = statement.where(CoachingSession.status == query["status"])
        if query["start"]:
            statement = statement.where(CoachingSession.end_at > query["start"])
        if query["end"]:
            statement = statement.where(CoachingSession.start_at < query["end"])
        session = self.db.session
        total = session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = session.scalars(
            statement.order_by(CoachingSession.start_at, CoachingSession.id)
            .offset(offset_of(query["page"], query["page_size"]))
            .limit(query["page_size"])
        ).all()
        return page_of([session_view(row) for row in rows], total, query["page"], query["page_size"])

    @rpc
    def get_session(self, session_id):
        self.caller.require_user()
        return session_view(self._session_for(session_id))

    @rpc
    def cancel_session(self, session_id, **payload):
        user_id = self.caller.require_user()
        data = load(CancelSchema(), payload)
        item = self._session_for(session_id, lock=True)
        if item.status != BOOKED:
            raise Conflict(f"The session is already {item.status}")
        window = timedelta(hours=self.settings["cancellation_window_hours"])
        if not self.caller.is_admin and as_utc(item.start_at) - utcnow() < window:
            raise Conflict(f"Sessions can only be cancelled up to {self.settings['cancellation_window_hours']}h ahead")
        item.status = CANCELLED
        item.cancel_reason = data["reason"]
        item.cancelled_by = parse_uuid(user_id)
        item.sequence += 1
        self._publish(events.SESSION_CANCELLED, item, reason=item.cancel_reason, cancelled_by=user_id)
        self.db.session.commit()
        return session_view(item)

    @rpc
    def reschedule_session(self, session_id, **payload):
        self.caller.require_user()
        data = load(RescheduleSchema(), payload)
        item = self._session_for(session_id)
        previous = booking.reschedule(self.db.session, item, data["start"], utcnow())
        self._publish(events.SESSION_RESCHEDULED, item, previous_start=isoformat(previous))
        booking.commit(self.db.session)
        return session_view(item)

    @rpc
    def complete_session(self, session_id):
        user_id = self.caller.require_user()
        item = self._session_for(session_id, lock=True)
        if not (self.caller.is_admin or str(item.coach_id) == user_id):
            raise Forbidden("Only the coach completes a session")
        if item.status != BOOKED:
            raise Conflict(f"The session is already {item.status}")
        item.status = COMPLETED
        item.sequence += 1
        self._publish(events.SESSION_COMPLETED, item)
        self.db.session.commit()
        return session_view(item)

    # -- notes -------------------------------------------------------------

    def _note_party(self, session_id):
        """The session and whether the caller is its coach; nobody but its two people reads notes."""
        user_id = self.caller.require_user()
        item = self._session_for(session_id)
        if user_id == str(item.coach_id):
            return item, True
        if user_id == str(item.learner_id):
            return item, False
        raise Forbidden("Notes are for the session's coach and learner only")

    @rpc
    def list_notes(self, session_id):
        item, is_coach = self._note_party(session_id)
        query = select(SessionNote).where(SessionNote.session_id == item.id)
        if not is_coach:
            query = query.where(SessionNote.shared.is_(True))
        rows = self.db.session.scalars(query.order_by(SessionNote.created_at, SessionNote.id)).all()
        return {"items": [note_view(row) for row in rows]}

    @rpc
    def add_note(self, session_id, **payload):
        item, is_coach = self._note_party(session_id)
        if not is_coach:
            raise Forbidden("Only the coach writes session notes")
        data = load(NoteSchema(), payload)
        note = SessionNote(session_id=item.id, author_id=item.coach_id, body=data["body"], shared=data["shared"])
        self.db.session.add(note)
        self.db.session.flush()
        if note.shared:
            self._publish(events.NOTE_SHARED, item, note_id=str(note.id))
        self.db.session.commit()
        return note_view(note)

    # -- internal and admin ------------------------------------------------

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    @rpc
    def sessions_for_calendar(self, user_id):
        """Internal (events' calendar feed): every session of a user, as learner or coach, any status."""
        uid = parse_uuid(user_id)
        rows = self.db.session.scalars(
            select(CoachingSession)
            .where(or_(CoachingSession.learner_id == uid, CoachingSession.coach_id == uid))
            .order_by(CoachingSession.start_at)
        ).all()
        return [session_view(row) for row in rows]

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        session = self.db.session
        by_status = dict(
            session.execute(select(CoachingSession.status, func.count()).group_by(CoachingSession.status)).all()
        )
        return {
            "generated_at": isoformat(utcnow()),
            "coaches": session.scalar(select(func.count()).select_from(CoachProfile)),
            "sessions": {status: by_status.get(status, 0) for status in (BOOKED, CANCELLED, COMPLETED)},
        }
