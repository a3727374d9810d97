"""Correlated logs and Prometheus metrics, over HTTP on the running platform."""

import importlib.util
import json
import logging
import os
import socket
import subprocess
import time

import requests
from nameko.exceptions import UnknownService
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import find_free_port

from common.config import ROOT
from common.logs import ContextFilter, JsonFormatter
from tests.e2e.test_account_flow import ADMIN, create_admin


def test_one_request_id_in_the_access_line_and_every_service_it_touched(api, platform, caplog):
    create_admin(platform)
    caplog.set_level(logging.INFO, logger="gateway.access")
    caplog.set_level(logging.DEBUG, logger="common.logs")  # last: it sets the capturing handler's level too
    caplog.handler.addFilter(ContextFilter())
    caplog.clear()

    answer = api.post(
        "/auth/login", json={"identifier": ADMIN[0], "password": ADMIN[1]}, headers={"X-Request-ID": "trace-42"}
    )
    assert answer.status_code == 200

    formatter = JsonFormatter()

    def lines_of_this_request():
        lines = [json.loads(formatter.format(record)) for record in caplog.records]
        return [line for line in lines if line["request_id"] == "trace-42"]

    # A service writes its worker line just after it has replied: give the last ones a moment.
    deadline = time.monotonic() + 3
    while {"auth", "users"} - {line["service"] for line in lines_of_this_request()} and time.monotonic() < deadline:
        time.sleep(0.05)
    mine = lines_of_this_request()
    access = [line for line in mine if line["logger"] == "gateway.access"]
    assert len(access) == 1
    assert access[0]["route"] == "/auth/login" and access[0]["status"] == 200 and access[0]["method"] == "POST"
    assert access[0]["duration_ms"] >= 0
    services = {line["service"] for line in mine}
    assert {"gateway", "auth", "users"} <= services, services  # login goes gateway -> auth -> users
    assert all(set(line) >= {"time", "level", "service", "logger", "message", "request_id", "user_id"} for line in mine)


def test_an_expected_domain_error_is_one_line_without_a_traceback(api, platform, caplog):
    caplog.set_level(logging.INFO, logger="nameko.containers")
    caplog.clear()
    answer = api.post("/auth/login", json={"identifier": "nobody@example.com", "password": "not-the-password-1"})
    assert answer.status_code == 401

    def worker_errors():
        return [r for r in caplog.records if r.name == "nameko.containers" and "auth.login" in r.getMessage()]

    deadline = time.monotonic() + 3  # Nameko logs the worker's error as the worker ends, after the reply
    while not worker_errors() and time.monotonic() < deadline:
        time.sleep(0.05)
    (record,) = worker_errors()
    assert record.getMessage().endswith(": Invalid credentials"), record.getMessage()
    assert record.exc_info is None and not record.exc_text  # Nameko's own would carry the traceback
    line = json.loads(JsonFormatter().format(record))
    assert "exception" not in line and "\n" not in line["message"]


def test_metrics_count_requests_by_route_with_latency_buckets(api, platform):
    create_admin(platform)
    api.login(*ADMIN)
    for _ in range(3):
        assert api.get("/training/courses").status_code == 200
    assert api.get("/training/courses/not-an-id").status_code in (400, 404)
    text = api.get("/metrics").text
    assert 'lnd_http_requests_total{method="GET",route="/training/courses",status="200"}' in text
    assert 'lnd_http_request_seconds_bucket{le="0.1",method="GET",route="/training/courses"}' in text
    assert 'route="/training/courses/<course_id>"' in text  # the template, never the raw path
    assert "not-an-id" not in text
    assert 'lnd_worker_total{entrypoint="list_courses",kind="rpc",outcome="ok",service="training"}' in text
    assert "lnd_http_requests_in_flight" in text
    assert 'lnd_domain_events_total{event_type="USER_LOGGED_IN",service="auth"}' in text


def test_a_service_serves_its_metrics_on_its_own_port(runner_factory, platform_config):
    from events.service import EventsService

    port = find_free_port()
    runner_factory({**platform_config, "METRICS_PORT": port}, EventsService).start()
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "lnd_worker_total" in text and "lnd_worker_seconds" in text


def local_platform():
    """scripts/local_platform.py (`make up`) as a module: the test starts services the way it does."""
    spec = importlib.util.spec_from_file_location("local_platform", ROOT / "scripts" / "local_platform.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port_range(count):
    """A base port with ``count`` free ports from it (the platform's ports are consecutive)."""
    for _ in range(20):
        base = find_free_port()
        ports = range(base, base + count)
        probes = [socket.socket() for _ in ports]
        try:
            for probe, port in zip(probes, ports, strict=True):
                probe.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError("no free port range")


def test_one_process_per_service_each_serves_its_metrics_on_its_own_port(rabbit_config, tmp_path):
    """`make up` gives every service process its own metrics port; two MongoDB services (no SQL database to make)
    started as it starts them, on a throwaway vhost, each count their own workers there."""
    platform = local_platform()
    base_port = free_port_range(len(platform.SERVICES))
    env = {
        **os.environ,
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "MONGO_URI": "mongomock://metrics",
        "LOG_LEVEL": "WARNING",
        "PYTHONWARNINGS": "ignore",
    }
    services = ("training", "engagement")
    ports = {service: platform.metrics_port(service, base_port) for service in services}
    assert len(set(ports.values())) == len(services) and all(ports.values())
    processes = {}
    try:
        for service in services:
            with open(tmp_path / f"{service}.log", "w") as log:
                processes[service] = subprocess.Popen(
                    platform.service_command(service),
                    cwd=ROOT,
                    env=platform.service_env(service, env, base_port),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        with ClusterRpcProxy({"AMQP_URI": rabbit_config["AMQP_URI"]}, timeout=60) as rpc:
            for service in services:
                deadline = time.monotonic() + 60
                while True:  # until the process has started and consumes its RPC queue
                    assert processes[service].poll() is None, (tmp_path / f"{service}.log").read_text()
                    try:
                        assert getattr(rpc, service).health()["status"] == "ok"
                        break
                    except UnknownService:
                        assert time.monotonic() < deadline, (tmp_path / f"{service}.log").read_text()
                        time.sleep(0.5)
        for service, port in ports.items():
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            assert f'lnd_worker_total{{entrypoint="health",kind="rpc",outcome="ok",service="{service}"}}' in text
            assert f'lnd_worker_seconds_bucket{{entrypoint="health",kind="rpc",le="0.1",service="{service}"}}' in text
            others = [other for other in services if other != service]
            assert not any(f'service="{other}"' in text for other in others), text  # each process its own
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
