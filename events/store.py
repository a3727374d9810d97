"""events' queries, one repository per aggregate, each over the worker's one session (common/stores.py)."""

from sqlalchemy import func, or_, select

from common.exceptions import NotFound
from common.ids import parse_uuid
from common.pagination import offset_of
from events.contracts import CANCELLED, PAST, REGISTERED, SCHEDULED, UPCOMING, WAITLISTED
from events.models import CalendarFeed, Event, Registration

LIVE = (REGISTERED, WAITLISTED)  # the registrations that hold a seat or a place in the queue


class Repository:
    """Queries over the worker's session, which the service commits (common/stores.py)."""

    def __init__(self, session):
        self.session = session


class Events(Repository):
    def get(self, event_id, lock=False):
        """The event or a 404; ``lock``: with its row locked, which every change of its seats waits for."""
        query = select(Event).where(Event.id == event_id)
        found = self.session.scalars(query.with_for_update() if lock else query).first()
        if found is None:
            raise NotFound("No such event")
        return found

    def add(self, event):
        self.session.add(event)
        self.session.flush()  # its id, for the event published with it
        return event

    def search(self, when, kind, organiser_id, q, now, page, page_size):
        """(one page of events, upcoming by start, past latest first, or all; how many in all)."""
        statement = select(Event)
        if when == UPCOMING:
            statement = statement.where(Event.ends_at > now, Event.status == SCHEDULED).order_by(Event.starts_at)
        elif when == PAST:
            statement = statement.where(Event.ends_at <= now).order_by(Event.starts_at.desc())
        else:
            statement = statement.order_by(Event.starts_at)
        if kind:
            statement = statement.where(Event.kind == kind)
        if organiser_id:
            statement = statement.where(Event.organiser_id == organiser_id)
        if q:
            pattern = f"%{q.lower()}%"
            statement = statement.where(
                or_(func.lower(Event.title).like(pattern), func.lower(Event.description).like(pattern))
            )
        total = self.session.scalar(select(func.count()).select_from(statement.subquery()))
        rows = self.session.scalars(
            statement.order_by(Event.id).offset(offset_of(page, page_size)).limit(page_size)
        ).all()
        return rows, total

    def in_feed_of(self, user_id):
        """(event, the user's registration status, its changes) for every event the user organises or registered
        for, withdrawn ones included (calendars must hear they are gone), by start."""
        return self.session.execute(
            select(Event, Registration.status, Registration.changes)
            .outerjoin(Registration, (Registration.event_id == Event.id) & (Registration.user_id == user_id))
            .where(or_(Event.organiser_id == user_id, Registration.status.in_([*LIVE, CANCELLED])))
            .order_by(Event.starts_at)
        ).all()

    def count(self):
        return self.session.scalar(select(func.count()).select_from(Event))

    def upcoming_count(self, now):
        return self.session.scalar(select(func.count()).where(Event.starts_at > now, Event.status == SCHEDULED))


class Registrations(Repository):
    def counts(self, event_ids):
        """``{(event id, status): how many}`` of the live registrations of some events."""
        rows = self.session.execute(
            select(Registration.event_id, Registration.status, func.count())
            .where(Registration.event_id.in_(event_ids), Registration.status.in_(LIVE))
            .group_by(Registration.event_id, Registration.status)
        ).all()
        return {(event_id, status): count for event_id, status, count in rows}

    def statuses_of(self, user_id, event_ids):
        """``{event id: status}`` of a user's registrations (not withdrawn) among some events; {} for nobody."""
        if not user_id or not event_ids:
            return {}
        rows = self.session.execute(
            select(Registration.event_id, Registration.status).where(
                Registration.event_id.in_(event_ids),
                Registration.user_id == parse_uuid(user_id),
                Registration.status != CANCELLED,
            )
        ).all()
        return dict(rows)

    def attendee_ids(self, event_id):
        """Everyone registered for the event or waiting for a place."""
        rows = self.session.scalars(
            select(Registration.user_id).where(Registration.event_id == event_id, Registration.status.in_(LIVE))
        )
        return [str(user_id) for user_id in rows]

    def waitlist_position(self, registration):
        """1 for the first one waiting, and so on."""
        return 1 + self.session.scalar(
            select(func.count()).where(
                Registration.event_id == registration.event_id,
                Registration.status == WAITLISTED,
                Registration.position < registration.position,
            )
        )

    def of_event(self, event_id, status, attended, page, page_size):
        """(one page of the event's registrations, not withdrawn, in order of arrival; how many in all)."""
        query = select(Registration).where(Registration.event_id == event_id, Registration.status.in_(LIVE))
        if status:
            query = query.where(Registration.status == status)
        if attended is not None:
            query = query.where(
                Registration.attended_at.is_not(None) if attended else Registration.attended_at.is_(None)
            )
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = self.session.scalars(
            query.order_by(Registration.position).offset(offset_of(page, page_size)).limit(page_size)
        ).all()
        return rows, total

    def of_user(self, user_id, page, page_size):
        """(one page of (registration, event) of a user's registrations, not withdrawn, by the event's start;
        how many in all)."""
        mine = (Registration.user_id == user_id, Registration.status != CANCELLED)
        total = self.session.scalar(select(func.count()).where(*mine))
        rows = self.session.execute(
            select(Registration, Event)
            .join(Event, Event.id == Registration.event_id)
            .where(*mine)
            .order_by(Event.starts_at, Registration.id)
            .offset(offset_of(page, page_size))
            .limit(page_size)
        ).all()
        return rows, total

    def count_by_status(self):
        counts = dict(
            self.session.execute(select(Registration.status, func.count()).group_by(Registration.status)).all()
        )
        return {status: counts.get(status, 0) for status in (*LIVE, CANCELLED)}


class CalendarFeeds(Repository):
    def of_user(self, user_id, lock=False):
        return self.session.get(CalendarFeed, user_id, with_for_update=True if lock else None)

    def by_token_hash(self, token_hash):
        feed = self.session.scalars(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash)).first()
        if feed is None:
            raise NotFound("No such calendar")
        return feed

    def add(self, feed):
        self.session.add(feed)

    def remove(self, feed):
        self.session.delete(feed)
