"""Migrations with Alembic's own CLI (alembic.ini) and ``python -m common.migrations``, on real PostgreSQL."""

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text

from common.config import ROOT
from common.migrations import SQL_SERVICES
from tests.conftest import PG_SERVER_URL

ALEMBIC = [os.path.join(os.path.dirname(sys.executable), "alembic")]


@pytest.fixture
def empty_database():
    admin = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    name = f"test_migrations_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield f"{PG_SERVER_URL.rpartition('/')[0]}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run(args, url, service):
    env = {**os.environ, f"{service.upper()}_DB_URI": url}
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True).stdout


def tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", SQL_SERVICES)
def test_the_alembic_cli_upgrades_checks_autogenerate_and_downgrades_each_service(service, empty_database):
    """alembic.ini has a section per PostgreSQL service: the standard CLI with ``-n <service>``."""
    run([*ALEMBIC, "-n", service, "upgrade", "head"], empty_database, service)
    assert tables(empty_database)
    assert "(head)" in run([*ALEMBIC, "-n", service, "history"], empty_database, service)
    # What autogenerate would write is nothing: every model change has its migration (exit 1 otherwise).
    assert "No new upgrade operations detected" in run([*ALEMBIC, "-n", service, "check"], empty_database, service)
    run([*ALEMBIC, "-n", service, "downgrade", "base"], empty_database, service)
    assert tables(empty_database) == set()


def test_common_migrations_upgrades_and_downgrades(empty_database):
    """``python -m common.migrations`` (docker-compose's services run it before they serve) does the same."""
    run([sys.executable, "-m", "common.migrations", "upgrade", "users"], empty_database, "users")
    assert tables(empty_database)
    assert "(head)" in run([*ALEMBIC, "-n", "users", "current"], empty_database, "users")
    run([sys.executable, "-m", "common.migrations", "downgrade", "users", "-r", "base"], empty_database, "users")
    assert tables(empty_database) == set()


def test_a_profile_visibility_chosen_before_its_column_existed_is_copied_to_it(empty_database):
    from common.migrations import upgrade

    upgrade("users", empty_database, "0002_outbox")
    engine = create_engine(empty_database)
    try:
        with engine.begin() as conn:
            for name, chosen in (("pia", "private"), ("fen", "followers"), ("pub", None)):
                user_id = uuid.uuid4()
                conn.execute(
                    text(
                        "INSERT INTO users (id, email, name, provider, status, created_at, updated_at)"
                        " VALUES (:id, :email, :name, 'local', 'active', now(), now())"
                    ),
                    {"id": user_id, "email": f"{name}@example.com", "name": name},
                )
                data = '{"theme": "dark"}' if chosen is None else f'{{"profile_visibility": "{chosen}"}}'
                conn.execute(
                    text("INSERT INTO preferences (user_id, data, updated_at) VALUES (:id, :data, now())"),
                    {"id": user_id, "data": data},
                )
        upgrade("users", empty_database)
        with engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT name, profile_visibility FROM users")).all())
        assert rows == {"pia": "private", "fen": "followers", "pub": "public"}
    finally:
        engine.dispose()
