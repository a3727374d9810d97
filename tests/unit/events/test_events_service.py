"""The events service through worker_factory: a real SQLite session, the broker replaced.

What it publishes, and that a worker is never inside a database transaction while it waits on the broker after
its commit (a worker killed there would leave the transaction, and its locks, to the garbage collector).
"""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory
from nameko_sqlalchemy.database import DatabaseWrapper, Session
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from common import events
from common.events import make_event
from common.exceptions import Conflict
from common.stores import Repositories
from events import attendance
from events.models import Base
from events.service import EventsService
from tests.support.callers import caller


@pytest.fixture
def make_service(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'events.sqlite3'}")
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, class_=Session)
    published = []

    def make(user_id=None, roles=("learner",)):
        context = caller(None if user_id is None else str(user_id), roles if user_id is not None else ())
        database = DatabaseWrapper(factory)
        db = Repositories(lambda: database.session, EventsService.store.repositories)

        def record(kind):
            def publish(event_type, *args, **kwargs):
                published.append((kind, event_type, db.session.in_transaction(), args, kwargs))

            return publish

        service = worker_factory(EventsService, store=db, caller=context, settings={"reminder_lead_minutes": 24 * 60})
        service.events.side_effect = record("events")
        return service

    yield make, published
    engine.dispose()


def body(starts_in, capacity=5):
    start = datetime.now(UTC) + starts_in
    return {
        "title": "Workshop",
        "kind": "online",
        "join_url": "https://meet.example.com/x",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "capacity": capacity,
    }


def test_events_are_saved_in_the_transaction_of_their_change(make_service):
    make, published = make_service
    organiser = make(uuid.uuid4(), ("instructor",))
    event = organiser.create_event(**body(timedelta(hours=2)))
    learners = [uuid.uuid4() for _ in range(2)]
    for learner in learners:
        make(learner).register(event["id"])
    organiser.update_event(event["id"], title="Renamed")
    assert make().run_reminders() == {"sent": 2}
    kinds = [event_type for _, event_type, _, _, _ in published]
    assert (
        kinds
        == [events.EVENT_CREATED] + [events.EVENT_REGISTERED] * 2 + [events.EVENT_UPDATED] + [events.EVENT_REMINDER] * 2
    )
    assert [in_transaction for _, _, in_transaction, _, _ in published] == [True] * 6  # the outbox
    for _, event_type, _, _, metadata in published:
        assert metadata["event_id"] == event["id"] and metadata["starts_at"] == event["starts_at"]
        assert metadata["title"] == (
            "Workshop" if event_type in (events.EVENT_CREATED, events.EVENT_REGISTERED) else "Renamed"
        )
    reminders = [metadata for _, event_type, _, _, metadata in published if event_type == events.EVENT_REMINDER]
    assert sorted(metadata["user_id"] for metadata in reminders) == sorted(learners)


def test_attendance_publishes_under_the_lock_with_a_fixed_event_id(make_service):
    make, published = make_service
    organiser_id = uuid.uuid4()
    organiser = make(organiser_id, ("instructor",))
    event = organiser.create_event(**body(timedelta(hours=2)))
    learner = uuid.uuid4()
    registration = make(learner).register(event["id"])
    with pytest.raises(Conflict):
        organiser.mark_attendance(event["id"], user_ids=[str(learner)])
    start = datetime.now(UTC) - timedelta(minutes=5)
    organiser.update_event(event["id"], starts_at=start.isoformat(), ends_at=(start + timedelta(hours=1)).isoformat())
    published.clear()
    answer = organiser.mark_attendance(event["id"], user_ids=[str(learner), str(learner)])
    assert answer == {"event_id": event["id"], "marked": [str(learner)], "already_marked": [], "attended": 1}
    ((kind, event_type, in_transaction, args, kwargs),) = published
    # Deliberately before the commit, under the event's row lock (docs/coaching-and-events.md, Attendance).
    assert (kind, event_type, in_transaction) == ("events", events.EVENT_ATTENDED, True)
    envelope = make_event(event_type, *args, **kwargs)
    assert envelope["event_id"] == attendance.occurrence_id(uuid.UUID(registration["id"]))
    assert envelope["user_id"] == str(learner)
    assert envelope["metadata"]["event_id"] == event["id"] and envelope["metadata"]["title"] == "Workshop"
    assert envelope["metadata"]["marked_by"] == str(organiser_id)
    assert organiser.mark_attendance(event["id"], user_ids=[str(learner)])["marked"] == []
    assert len(published) == 1
