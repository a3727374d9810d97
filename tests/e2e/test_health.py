"""Health that checks: each service reports its store, the gateway separates liveness from readiness."""

import os
import subprocess
import sys
import time

import pytest
import yaml
from sqlalchemy.engine import make_url

from common.config import ROOT
from gateway.routes import SERVICES
from tests.conftest import all_service_classes
from tests.e2e.test_account_flow import ADMIN, create_admin
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def users_db_proxy(platform_config):
    """The users service reaches PostgreSQL through a forwarder the test can cut."""
    url = make_url(platform_config["DB_URIS"]["users:Base"])
    proxy = TcpProxy(url.port or 5432).start()
    platform_config["DB_URIS"]["users:Base"] = url.set(port=proxy.port).render_as_string(hide_password=False)
    yield proxy
    proxy.stop()


@pytest.fixture
def platform_behind_proxy(runner_factory, platform_config, users_db_proxy):
    runner_factory(platform_config, *all_service_classes()).start()
    return platform_config


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_service_health_reports_its_store(api):
    for service, store in [("users", "database"), ("training", "mongodb"), ("events", "database")]:
        body = api.get(f"/{service}/health").json()["data"]
        assert body["status"] == "ok" and body["service"] == service, body
        assert body["checks"][store]["status"] == "ok" and body["checks"][store]["latency_ms"] >= 0
    assert api.get("/ready").status_code == 200
    assert api.get("/health").json()["data"]["status"] == "ok"


def test_unreachable_database_is_degraded_then_recovers(platform_behind_proxy, users_db_proxy):
    from tests.support.api import ApiClient

    create_admin(platform_behind_proxy)
    with ApiClient(f"http://{platform_behind_proxy['WEB_SERVER_ADDRESS']}") as api:
        token = api.login(*ADMIN)["access_token"]
        assert api.get("/ready").json()["data"]["status"] == "ready"

        users_db_proxy.cut()
        report = api.get("/admin/health", token=token).json()["data"]
        users = report["services"]["users"]
        assert report["status"] == "degraded" and users["status"] == "degraded"
        assert users["checks"]["database"]["status"] == "failed"
        assert "OperationalError" in users["checks"]["database"]["reason"]
        assert report["services"]["training"]["status"] == "ok"
        not_ready = api.get("/ready")
        assert not_ready.status_code == 503
        assert not_ready.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert not_ready.json()["error"]["details"]["services"]["users"] == "degraded"
        public = api.get("/users/health").json()["data"]
        assert public["status"] == "degraded" and "reason" not in public["checks"]["database"]  # no addresses
        assert api.get("/health").status_code == 200  # liveness: the gateway process itself is fine

        users_db_proxy.restore()
        assert wait_for(lambda: api.get("/ready").status_code == 200)
        assert api.get("/admin/health", token=token).json()["data"]["services"]["users"]["status"] == "ok"


def test_container_healthcheck_command(platform):
    """What docker-compose.yml runs in every service container."""
    env = {**os.environ, "AMQP_URI": platform["AMQP_URI"]}

    def healthcheck(service):
        return subprocess.run(
            [sys.executable, "-m", "common.healthcheck", service, "--timeout", "3"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    healthy = healthcheck("users")
    assert healthy.returncode == 0 and healthy.stdout.strip() == "users: ok", healthy.stderr[-500:]
    absent = healthcheck("nosuchservice")
    assert absent.returncode == 1 and "no answer" in absent.stdout


def test_every_service_container_has_a_healthcheck():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("gateway", *SERVICES):
        assert compose["services"][name]["healthcheck"]["test"], name
    for name in SERVICES:
        assert compose["services"][name]["healthcheck"]["test"][-1] == name
