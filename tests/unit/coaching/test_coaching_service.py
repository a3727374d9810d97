"""The coaching service through worker_factory: real SQLite session, users and events replaced."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory
from nameko_sqlalchemy.database import DatabaseWrapper, Session
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from coaching.models import Base
from coaching.service import CoachingService
from common import events
from common.exceptions import Forbidden, NotFound
from common.stores import Repositories
from tests.support.callers import caller


@pytest.fixture
def make_service():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, class_=Session)

    def make(user_id, roles=("learner",)):
        database = DatabaseWrapper(factory)
        return worker_factory(
            CoachingService,
            store=Repositories(lambda: database.session, CoachingService.store.repositories),
            caller=caller(str(user_id), roles),
            settings={"cancellation_window_hours": 24, "meeting_url_template": ""},
        )

    return make


def make_coach(make_service):
    coach_id = uuid.uuid4()
    service = make_service(coach_id, ("coach",))
    service.users.get_account.return_value = {"id": str(coach_id), "name": "Cora", "roles": ["coach"]}
    profile = service.update_my_coach_profile(timezone="Europe/Berlin", session_minutes=60, min_notice_minutes=0)
    assert profile["name"] == "Cora" and profile["timezone"] == "Europe/Berlin"
    service.set_availability(str(coach_id), weekly=[{"weekday": d, "start": "09:00", "end": "10:00"} for d in range(7)])
    return coach_id, service


def test_only_existing_coaches_get_a_profile(make_service):
    learner = make_service(uuid.uuid4())
    with pytest.raises(Forbidden):
        learner.update_my_coach_profile(bio="hi")
    ghost = make_service(uuid.uuid4(), ("coach",))
    ghost.users.get_account.return_value = None
    with pytest.raises(Forbidden):
        ghost.update_my_coach_profile(bio="hi")


def test_booking_publishes_and_notes_stay_with_the_two_people(make_service):
    coach_id, coach = make_coach(make_service)
    learner_id = uuid.uuid4()
    learner = make_service(learner_id)
    # The event is saved in the outbox inside the change's transaction, which commits both.
    in_transaction = []
    for service in (learner, coach):
        service.events.side_effect = lambda *_, db=service.store, **__: in_transaction.append(
            db.session.in_transaction()
        )
    now = datetime.now(UTC)
    slots = learner.list_slots(str(coach_id), start=now + timedelta(days=2), end=now + timedelta(days=3))["items"]
    booked = learner.book_session(coach_id=str(coach_id), start=slots[0]["start"], topic="Goals")
    published = learner.events.call_args
    assert published.args[0] == events.SESSION_BOOKED
    # What consumers need about the session, on every coaching event (docs/coaching-and-events.md).
    about = {
        "user_id": uuid.UUID(booked["learner_id"]),
        "session_id": booked["id"],
        "coach_id": str(coach_id),
        "learner_id": str(learner_id),
        "coach_name": "Cora",
        "starts_at": booked["start"],
        "ends_at": booked["end"],
        "title": "Coaching session: Goals",
        "topic": "Goals",
    }
    assert published.kwargs == about
    note = coach.add_note(booked["id"], body="shared", shared=True)
    assert coach.events.call_args.args[0] == events.NOTE_SHARED
    assert coach.events.call_args.kwargs == {**about, "note_id": note["id"]}
    coach.add_note(booked["id"], body="private")
    assert [n["body"] for n in learner.list_notes(booked["id"])["items"]] == ["shared"]
    assert len(coach.list_notes(booked["id"])["items"]) == 2
    with pytest.raises(NotFound):
        make_service(uuid.uuid4()).list_notes(booked["id"])
    assert [s["id"] for s in coach.sessions_for_calendar(str(learner_id))] == [booked["id"]]
    cancelled = coach.cancel_session(booked["id"], reason="Travelling")
    assert cancelled["status"] == "cancelled"
    assert coach.events.call_args.kwargs["cancelled_by"] == str(coach_id)
    assert in_transaction == [True] * 3
