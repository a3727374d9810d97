"""The outbox on SQLite (embedded mode: one process, no row locks): saved with the change, relayed in order,
through ``DomainEvents`` in a Nameko worker too."""

import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from nameko_sqlalchemy import Database
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Session

from common import events
from common.events import DomainEvents, make_event
from common.outbox import OutboxRecord, RelayFailed, SqlOutbox
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


class ShopBase(DeclarativeBase):
    pass


class ShopOutbox(OutboxRecord, ShopBase):
    pass


class Shop:
    """A service as the platform's are: a Database and DomainEvents."""

    name = "shop"
    db = Database(ShopBase)
    events = DomainEvents()

    @rpc
    def saved(self):
        self.events(events.USER_UPDATED, user_id="u1")
        self.db.session.commit()

    @rpc
    def forgotten(self):
        self.db.session.commit()
        self.events(events.USER_UPDATED, user_id="u2")  # after the last commit: lost


@pytest.fixture
def shop(container_factory, tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    engine = create_engine(uri)
    ShopBase.metadata.create_all(engine)
    container = container_factory(Shop, {"AMQP_URI": "memory://", "DB_URIS": {"shop:ShopBase": uri}})
    container.start()
    provider = next(dep for dep in container.dependencies if isinstance(dep, DomainEvents))
    published = []
    monkeypatch.setattr(provider.publisher, "publish", lambda event, **kwargs: published.append(event))
    yield container, engine, published
    engine.dispose()


def test_a_worker_event_is_saved_with_its_commit_and_published_when_the_worker_is_done(shop):
    container, engine, published = shop
    with entrypoint_hook(container, "saved") as saved:
        saved()
    assert [event["user_id"] for event in published] == ["u1"]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ShopOutbox)) == 0  # published: deleted


def test_an_event_saved_after_the_last_commit_is_reported(shop, caplog):
    container, engine, published = shop
    with entrypoint_hook(container, "forgotten") as forgotten:
        forgotten()
    assert published == []
    assert "saved ['USER_UPDATED'] but never committed it" in caplog.text
