"""The SQL provider's engines: SQLite writers of one process take turns; PostgreSQL statements time out."""

import os
import socket
from unittest.mock import Mock

import eventlet
import pytest
from sqlalchemy import Column, Integer, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, declarative_base

from common.sql import Database, engine_options

Base = declarative_base()


class Counter(Base):
    __tablename__ = "counters"
    id = Column(Integer, primary_key=True)
    value = Column(Integer, nullable=False)


def provider_for(url, **config):
    container = Mock(service_name="things", config={"DB_URIS": {"things:Base": url}, **config})
    provider = Database(Base).bind(container, "db")
    provider.setup()
    return provider


@pytest.fixture
def sqlite_engine(tmp_path):
    provider = provider_for(f"sqlite:///{tmp_path}/things.sqlite3", DB_STATEMENT_TIMEOUT_MS=5000)
    Base.metadata.create_all(provider.engine)
    with Session(provider.engine) as session:
        session.add(Counter(id=1, value=0))
        session.commit()
    yield provider.engine
    provider.stop()


def test_sqlite_connections_use_wal_and_a_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_writers_that_yield_inside_their_transaction_take_turns_instead_of_failing(sqlite_engine):
    # Without the turns, the second writer waits in SQLite's busy handler, which blocks the whole process (the
    # first writer included) until it fails with "database is locked".
    def write(number):
        with Session(sqlite_engine) as session:
            session.add(Counter(id=100 + number, value=number))
            session.flush()
            eventlet.sleep(0.02)  # e.g. an RPC to another service before the commit
            session.commit()

    pool = eventlet.GreenPool()
    for number in range(10):
        pool.spawn(write, number)
    pool.waitall()
    with Session(sqlite_engine) as session:
        assert session.scalar(select(Counter).where(Counter.id >= 100).with_only_columns(text("count(*)"))) == 10


def test_select_for_update_holds_the_turn_as_postgresql_holds_the_row(sqlite_engine):
    def increment():
        with Session(sqlite_engine) as session:
            counter = session.scalars(select(Counter).where(Counter.id == 1).with_for_update()).one()
            seen = counter.value
            eventlet.sleep(0.02)
            counter.value = seen + 1
            session.commit()

    pool = eventlet.GreenPool()
    for _ in range(5):
        pool.spawn(increment)
    pool.waitall()
    with Session(sqlite_engine) as session:
        assert session.get(Counter, 1).value == 5  # no lost update


def test_a_failed_transaction_gives_the_turn_back(sqlite_engine):
    with pytest.raises(Exception), Session(sqlite_engine) as session:  # noqa: B017
        session.add(Counter(id=1, value=9))  # the id is taken
        session.commit()
    with eventlet.Timeout(2), Session(sqlite_engine) as session:
        session.add(Counter(id=2, value=2))
        session.commit()


def test_postgresql_gets_a_connect_and_a_statement_timeout():
    options = engine_options(
        "postgresql+psycopg2://u:p@h/db", {"DB_CONNECT_TIMEOUT": 3, "DB_STATEMENT_TIMEOUT_MS": 250}
    )
    assert options == {"connect_args": {"connect_timeout": 3, "options": "-c statement_timeout=250"}}


def test_a_statement_on_a_hung_postgresql_is_cut_off():
    url = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres")
    provider = provider_for(url, DB_STATEMENT_TIMEOUT_MS=200)
    try:
        with provider.engine.connect() as connection, pytest.raises(OperationalError, match="statement timeout"):
            connection.execute(text("SELECT pg_sleep(5)"))
    finally:
        provider.stop()


def test_a_postgresql_that_never_answers_fails_within_the_connect_timeout():
    silent = socket.socket()  # accepts connections (the kernel does) and never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    provider = provider_for(f"postgresql+psycopg2://u:p@127.0.0.1:{silent.getsockname()[1]}/db", DB_CONNECT_TIMEOUT=1)
    try:
        with eventlet.Timeout(5), pytest.raises(OperationalError, match="connection timeout"):
            provider.engine.connect()
    finally:
        provider.stop()
        silent.close()
