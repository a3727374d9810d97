"""The outbox on SQLite (embedded mode: one process, no row locks): saved with the change, relayed in order,
through ``DomainEvents`` in a Nameko worker too."""

from types import SimpleNamespace

import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from nameko_sqlalchemy import Database
from sqlalchemy import MetaData, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Session

from common import events
from common.events import DomainEvents, OutboxWriter, make_event
from common.exceptions import Conflict, ValidationError
from common.outbox import OutboxRecord, RelayFailed, SqlOutbox
from common.runtime_settings import Setting, SettingsView, SqlSettingsWriter, settings_table
from tests.support.callers import WorkerCtx
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


def test_a_worker_event_carries_the_actor_and_request_of_its_context():
    written = []
    provider = SimpleNamespace(write=lambda worker_ctx, event, headers: written.append(event))
    admin = WorkerCtx({"user_id": "admin-1", "roles": "admin", "request_id": "req-1", "origin": "gateway"})
    for worker_ctx in (admin, WorkerCtx()):  # the gateway's caller; an operator's call (no caller, no request)
        worker_ctx.service_name = "shop"
        OutboxWriter(provider, worker_ctx, {})(events.USER_UPDATED, user_id="u1", fields=["name"])
    assert [(event["actor_id"], event["request_id"]) for event in written] == [("admin-1", "req-1"), (None, None)]
    assert all(event["user_id"] == "u1" for event in written)  # the subject stays the call site's


def test_a_sql_setting_and_its_event_are_one_commit_with_old_and_new_values(outbox):
    engine = outbox.engine_of()
    table = settings_table(MetaData())  # users' migration (and models) make it
    provider = SimpleNamespace(
        service_name="users", definitions={"discount": Setting(5, "percent", 0, 50)}, invalidate=lambda: None
    )

    def change(session, *calls):
        def publish(event_type, **metadata):
            outbox.add(session, make_event(event_type, **metadata), {})

        settings = SettingsView(provider, SqlSettingsWriter(session, table))
        for method, value in calls:
            getattr(settings, method)("discount", value, publish=publish)

    with Session(engine) as session:
        change(session, ("create", 10), ("update", 30))
    with Session(engine) as session, pytest.raises(Conflict):  # set already: PUT (update) changes it
        change(session, ("create", 20))
    with Session(engine) as session, pytest.raises(ValidationError):
        change(session, ("update", 99))  # out of bounds: neither saved nor announced
    published = []
    outbox.relay(lambda event_type, event, headers: published.append(event), batch_size=10)
    assert [(event["metadata"]["old_value"], event["metadata"]["new_value"]) for event in published] == [
        (5, 10),
        (10, 30),
    ]
    assert [event["metadata"]["created"] for event in published] == [True, False]
    assert {event["metadata"]["key"] for event in published} == {"users.discount"}
    with Session(engine) as session:
        assert SqlSettingsWriter(session, table).replace("discount", 1) == 30
