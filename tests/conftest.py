"""Fixtures for the whole suite.

Eventlet is patched first (plain pytest hangs otherwise). Integration and
end-to-end tests run the services in a Nameko runner against real RabbitMQ
(one throwaway vhost per test, from Nameko's ``rabbit_config``) and real
PostgreSQL (throwaway databases per session, emptied between tests).
"""

import warnings

warnings.filterwarnings("ignore", message="Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402

import copy  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from common.config import load_config  # noqa: E402
from common.migrations import SQL_SERVICES, upgrade  # noqa: E402
from tests.support.api import ApiClient  # noqa: E402
from tests.support.events import EventTap  # noqa: E402

PG_SERVER_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432/postgres")


def _with_database(url, name):
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def sql_databases():
    """``{service: url}``: one fresh, migrated PostgreSQL database per SQL service."""
    admin = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
    suffix = uuid.uuid4().hex[:8]
    urls = {}
    try:
        for service in SQL_SERVICES:
            name = f"test_{service}_{suffix}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            urls[service] = _with_database(PG_SERVER_URL, name)
            upgrade(service, urls[service])
        yield urls
    finally:
        with admin.connect() as conn:
            for url in urls.values():
                name = url.rpartition("/")[2]
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clean_databases(sql_databases):
    """Empty every table (keeping the schema) before the test."""
    for url in sql_databases.values():
        engine = create_engine(url)
        with engine.begin() as conn:
            # The previous test's services were killed, and a worker killed mid-transaction never runs its teardown:
            # its connection can stay "idle in transaction" until the garbage collector finds it, and TRUNCATE
            # would wait for its locks forever. Nothing of this session should still be connected here.
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            tables = conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            ).scalars()
            names = ", ".join(f'"{name}"' for name in tables)
            if names:
                conn.execute(text(f"TRUNCATE {names} CASCADE"))
        engine.dispose()
    return sql_databases


@pytest.fixture
def web_session():
    """Nameko's own imports ``werkzeug.urls.url_join``, gone in werkzeug 3."""
    with requests.Session() as session:
        yield session


@pytest.fixture
def platform_config(rabbit_config, web_config, clean_databases):
    """config.yaml as the services read it, pointed at this test's broker and databases."""
    config = copy.deepcopy(load_config())
    config.update(rabbit_config)
    config.update(web_config)
    config["DB_URIS"] = {f"{service}:Base": url for service, url in clean_databases.items()}
    config["MONGO_URI"] = os.environ.get("MONGO_URI", "mongomock://tests")
    config["MONGO_DB_PREFIX"] = f"test_{uuid.uuid4().hex[:8]}_"
    # Argon2 at its production cost would make the suite slow; the algorithm is the same.
    config["PASSWORD_HASH"] = {"TIME_COST": 1, "MEMORY_COST": 1024, "PARALLELISM": 1}
    config["GATEWAY"] = {**config["GATEWAY"], "RPC_TIMEOUT": 5, "CORS_ORIGINS": ["http://app.example"]}
    config["LOGGING"] = {"version": 1, "disable_existing_loggers": False}
    return config


def all_service_classes():
    from auth.service import AuthService
    from coaching.service import CoachingService
    from engagement.service import EngagementService
    from events.service import EventsService
    from gateway.service import GatewayService
    from notifications.service import NotificationsService
    from training.service import TrainingService
    from users.service import UsersService

    return [
        GatewayService,
        AuthService,
        UsersService,
        TrainingService,
        CoachingService,
        EventsService,
        NotificationsService,
        EngagementService,
    ]


@pytest.fixture
def platform(runner_factory, platform_config):
    """Every service and the gateway, running; yields the config."""
    runner = runner_factory(platform_config, *all_service_classes())
    runner.start()
    return platform_config


@pytest.fixture
def api(platform):
    host_port = platform["WEB_SERVER_ADDRESS"]
    with ApiClient(f"http://{host_port}") as client:
        yield client


@pytest.fixture
def event_tap(rabbit_config):
    taps = []

    def tap(service):
        listener = EventTap(rabbit_config["AMQP_URI"], service)
        taps.append(listener)
        return listener

    yield tap
    for listener in taps:
        listener.close()
