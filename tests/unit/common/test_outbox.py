"""The outbox on SQLite (embedded mode: one process, no row locks): saved with the change, relayed in order."""

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from common import events
from common.events import make_event
from common.outbox import RelayFailed, SqlOutbox
from users.models import Base, OutboxMessage


@pytest.fixture
def outbox(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'users.sqlite3'}")
    Base.metadata.create_all(engine)
    yield SqlOutbox(OutboxMessage, lambda: engine, "users")
    engine.dispose()


def test_on_sqlite_entries_commit_with_the_session_and_leave_in_order(outbox):
    engine = outbox.engine_of()
    saved = [make_event(events.USER_UPDATED, user_id=f"u{number}") for number in range(3)]
    with Session(engine) as session:
        outbox.add(session, make_event(events.USER_DELETED, user_id="gone"), {})
        session.rollback()
        for event in saved:
            outbox.add(session, event, {})
        session.commit()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    published = []

    def publish(event_type, event, headers):
        if len(published) == 1 and not getattr(publish, "retried", False):
            publish.retried = True
            raise ConnectionRefusedError("broker down")
        published.append(event)

    with pytest.raises(RelayFailed):
        outbox.relay(publish, batch_size=10)
    assert outbox.pending_count() == 2
    assert outbox.relay(publish, batch_size=10) == 2
    assert published == saved
    assert outbox.pending_count() == 0
