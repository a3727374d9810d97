"""The outbox on SQLite (embedded mode: one process, no row locks): saved with the change, relayed in order,
through ``DomainEvents`` in a Nameko worker too."""

import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from nameko_sqlalchemy import Database
from sqlalchemy import MetaData, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Session

from common import events
from common.events import DomainEvents, make_event
from common.exceptions import Conflict, ValidationError
from common.outbox import OutboxRecord, RelayFailed, SqlOutbox
from common.runtime_settings import RuntimeSettings, Setting, settings_table
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
    """A service as the platform's are: a Database, DomainEvents and runtime settings in SQL."""

    name = "shop"
    db = Database(ShopBase)
    events = DomainEvents()
    settings = RuntimeSettings({"discount": Setting(5, "percent", 0, 50)}, declarative_base_name="ShopBase")

    @rpc
    def set_discount(self, value):
        return self.settings.update("discount", value, publish=self.events)

    @rpc
    def create_setting(self, key, value):
        return self.settings.create(key, value, publish=self.events)

    @rpc
    def discount(self):
        return self.settings["discount"]

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
    settings_table(MetaData()).create(engine)
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


def test_a_worker_event_carries_the_actor_and_request_of_its_context(shop):
    container, engine, published = shop
    with entrypoint_hook(container, "saved", context_data={"user_id": "admin-1", "request_id": "req-1"}) as saved:
        saved()
    with entrypoint_hook(container, "saved") as saved:  # an operator's call: no caller, no request
        saved()
    assert [(event["actor_id"], event["request_id"]) for event in published] == [("admin-1", "req-1"), (None, None)]
    assert all(event["user_id"] == "u1" for event in published)  # the subject stays the call site's


def test_a_setting_and_its_event_are_one_commit_with_old_and_new_values(shop):
    container, engine, published = shop
    admin = {"user_id": "admin-1", "request_id": "req-2"}
    with entrypoint_hook(container, "create_setting", context_data=admin) as create:
        assert create("discount", 10)["value"] == 10
        with pytest.raises(Conflict):  # set already: PUT (update) changes it
            create("discount", 20)
        with pytest.raises(ValidationError):
            create("nope", 1)
    with entrypoint_hook(container, "set_discount", context_data=admin) as set_discount:
        assert set_discount(30)["key"] == "shop.discount"
        with pytest.raises(ValidationError):
            set_discount(99)  # out of bounds: neither saved nor announced
    with entrypoint_hook(container, "discount") as discount:
        assert discount() == 30
    assert [
        (event["event_type"], event["actor_id"], {key: event["metadata"][key] for key in ("old_value", "new_value")})
        for event in published
    ] == [
        (events.SETTING_CHANGED, "admin-1", {"old_value": 5, "new_value": 10}),
        (events.SETTING_CHANGED, "admin-1", {"old_value": 10, "new_value": 30}),
    ]
    assert published[0]["metadata"]["created"] is True and published[1]["metadata"]["created"] is False
    assert published[0]["metadata"]["key"] == "shop.discount" and published[0]["metadata"]["service"] == "shop"
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ShopOutbox)) == 0  # both committed and relayed
