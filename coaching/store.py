"""coaching's queries, one repository per aggregate, each over the worker's one session (common/stores.py)."""

from datetime import timedelta

from sqlalchemy import and_, func, or_, select

from coaching.contracts import BOOKED, STATUSES
from coaching.models import AvailabilityException, CoachingSession, CoachProfile, SessionNote, WeeklyWindow
from common.clock import as_utc
from common.exceptions import NotFound
from common.pagination import offset_of


class Repository:
    """Queries over the worker's session, which the service commits (common/stores.py)."""

    def __init__(self, session):
        self.session = session


class Profiles(Repository):
    def find(self, user_id):
        return self.session.get(CoachProfile, user_id)

    def get(self, coach_id, lock=False):
        """The coach's profile (``lock``: its row, which serialises bookings with this coach) or a 404."""
        found = self.session.get(CoachProfile, coach_id, with_for_update=True if lock else None)
        if found is None:
            raise NotFound("No such coach")
        return found

    def by_name(self):
        return self.session.scalars(select(CoachProfile).order_by(CoachProfile.name, CoachProfile.user_id)).all()

    def add(self, profile):
        self.session.add(profile)

    def count(self):
        return self.session.scalar(select(func.count()).select_from(CoachProfile))


class Availability(Repository):
    def of(self, coach_id):
        """(weekly windows, dated exceptions) of a coach."""
        weekly = self.session.scalars(select(WeeklyWindow).where(WeeklyWindow.coach_id == coach_id)).all()
        exceptions = self.session.scalars(
            select(AvailabilityException).where(AvailabilityException.coach_id == coach_id)
        ).all()
        return weekly, exceptions

    def replace(self, coach_id, weekly, exceptions):
        weekly_rows, exception_rows = self.of(coach_id)
        for row in (*weekly_rows, *exception_rows):
            self.session.delete(row)
        for window in weekly:
            self.session.add(
                WeeklyWindow(
                    coach_id=coach_id, weekday=window["weekday"], start_time=window["start"], end_time=window["end"]
                )
            )
        for item in exceptions:
            self.session.add(
                AvailabilityException(
                    coach_id=coach_id,
                    day=item["date"],
                    kind=item["kind"],
                    start_time=item["start"],
                    end_time=item["end"],
                )
            )


class Sessions(Repository):
    def get(self, session_id, lock=False):
        return self.session.get(CoachingSession, session_id, with_for_update=True if lock else None)

    def add(self, item):
        self.session.add(item)

    def busy_periods(self, start, end, coach_id=None, learner_id=None, exclude=None):
        """(start, end) of live sessions of the coach or the learner near [start, end)."""
        start, end = as_utc(start), as_utc(end)  # PostgreSQL takes offsets up to 15:59 only: send UTC
        people = []
        if coach_id is not None:
            people.append(CoachingSession.coach_id == coach_id)
        if learner_id is not None:
            people.append(CoachingSession.learner_id == learner_id)
        query = select(CoachingSession.start_at, CoachingSession.end_at).where(
            CoachingSession.status == BOOKED,
            or_(*people),
            and_(
                CoachingSession.start_at < end + timedelta(hours=6), CoachingSession.end_at > start - timedelta(hours=6)
            ),
        )
        if exclude is not None:
            query = query.where(CoachingSession.id != exclude)
        return [(as_utc(s), as_utc(e)) for s, e in self.session.execute(query).all()]

    def search(self, user_id, role, status, start, end, page, page_size):
        """(one page of a user's sessions, as learner, coach or either, by start; how many in all)."""
        mine = {"learner": CoachingSession.learner_id == user_id, "coach": CoachingSession.coach_id == user_id}
        start, end = as_utc(start), as_utc(end)  # PostgreSQL takes offsets up to 15:59 only: send UTC
        statement = select(CoachingSession).where(mine[role] if role else or_(*mine.values()))
        if status:
            statement = statement.where(CoachingSession.status == status)
        if start:
            statement = statement.where(CoachingSession.end_at > start)
        if end:
            statement = statement.where(CoachingSession.start_at < end)
        total = self.session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = self.session.scalars(
            statement.order_by(CoachingSession.start_at, CoachingSession.id)
            .offset(offset_of(page, page_size))
            .limit(page_size)
        ).all()
        return rows, total

    def of_user(self, user_id):
        """Every session of a user, as learner or coach, any status, by start."""
        return self.session.scalars(
            select(CoachingSession)
            .where(or_(CoachingSession.learner_id == user_id, CoachingSession.coach_id == user_id))
            .order_by(CoachingSession.start_at)
        ).all()

    def count_by_status(self):
        rows = self.session.execute(select(CoachingSession.status, func.count()).group_by(CoachingSession.status))
        counts = dict(rows.all())
        return {status: counts.get(status, 0) for status in STATUSES}


class Notes(Repository):
    def of_session(self, session_id, shared_only, page, page_size):
        """(one page of a session's notes, oldest first; how many in all)."""
        query = select(SessionNote).where(SessionNote.session_id == session_id)
        if shared_only:
            query = query.where(SessionNote.shared.is_(True))
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = self.session.scalars(
            query.order_by(SessionNote.created_at, SessionNote.id).offset(offset_of(page, page_size)).limit(page_size)
        ).all()
        return rows, total

    def add(self, note):
        self.session.add(note)
        self.session.flush()  # its id, for the event
        return note
