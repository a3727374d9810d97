"""How people run the platform: `make run`'s embedded mode, and operators in `nameko shell`."""

import json
import os
import re
import subprocess
import sys
import time

import pytest
import requests
from nameko.testing.utils import find_free_port

from common.config import ROOT

NAMEKO = os.path.join(os.path.dirname(sys.executable), "nameko")


@pytest.fixture
def embedded(tmp_path):
    """The platform as `make run` starts it, on its own port and its own SQLite files."""
    port = find_free_port()
    log_path = tmp_path / "embedded.log"
    env = {
        **os.environ,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
        "AUTH_DB_URI": f"sqlite:///{tmp_path}/auth.sqlite3",
        "USERS_DB_URI": f"sqlite:///{tmp_path}/users.sqlite3",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_COST": "1024",
        "ADMIN_EMAIL": "boss@example.com",
        "ADMIN_PASSWORD": "boss-password-1",
        # JSON lines, with each worker's own line (DEBUG), to follow one request through every service.
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
    }
    env.pop("AMQP_URI", None)
    env.pop("MONGO_URI", None)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "embedded.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while "running at" not in log_path.read_text():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield base, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def json_lines(log_path, request_id):
    """The JSON log lines of one request (the output also has the start's plain printed lines)."""
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("request_id") == request_id]


def test_embedded_mode_runs_everything_with_demo_logins(embedded):
    base, log_path = embedded
    printed = log_path.read_text()
    assert base in printed
    # The start says what matters: no warnings of the stack nobody can act on.
    noise = [line for line in printed.splitlines() if re.search(r"kombu|[Ee]ventlet|pkg_resources|\w+Warning\b", line)]
    assert noise == []
    for email in ("boss@example.com", "instructor@example.com", "coach@example.com", "learner@example.com"):
        assert email in printed
    assert requests.get(f"{base}/health", timeout=10).json()["success"] is True
    admin = requests.post(
        f"{base}/auth/login", json={"identifier": "boss@example.com", "password": "boss-password-1"}, timeout=10
    ).json()["data"]
    health = requests.get(
        f"{base}/admin/health", headers={"Authorization": f"Bearer {admin['access_token']}"}, timeout=10
    )
    assert health.json()["data"]["status"] == "ok"
    learner = requests.post(
        f"{base}/auth/login",
        json={"identifier": "learner@example.com", "password": "learner-demo-1"},
        headers={"X-Request-ID": "embedded-login-1"},
        timeout=10,
    )
    assert learner.json()["data"]["user"]["roles"] == ["learner"]
    # LOG_FORMAT=json: the request's id is in the gateway's access line and in the lines of every service it
    # touched (login: gateway -> auth -> users).
    deadline = time.monotonic() + 5
    while {"gateway", "auth", "users"} - {line["service"] for line in json_lines(log_path, "embedded-login-1")}:
        assert time.monotonic() < deadline, json_lines(log_path, "embedded-login-1")
        time.sleep(0.1)
    access = [line for line in json_lines(log_path, "embedded-login-1") if line["logger"] == "gateway.access"]
    assert [(line["method"], line["route"], line["status"]) for line in access] == [("POST", "/auth/login", 200)]
    # The demo course is published and open to the demo learner.
    assert "Getting started with the platform" in printed
    as_learner = {"Authorization": f"Bearer {learner.json()['data']['access_token']}"}
    listed = requests.get(f"{base}/training/courses", headers=as_learner, timeout=10).json()["data"]
    assert [course["title"] for course in listed["items"]] == ["Getting started with the platform"]
    course_id = listed["items"][0]["id"]
    enrolled = requests.post(f"{base}/training/courses/{course_id}/enroll", headers=as_learner, timeout=10)
    assert enrolled.status_code in (200, 201), enrolled.text
    assessments = requests.get(f"{base}/training/courses/{course_id}/assessments", headers=as_learner, timeout=10)
    assert [quiz["title"] for quiz in assessments.json()["data"]["items"]] == ["Check your understanding"]

    # Registration codes reach the user through the log in embedded mode.
    registered = requests.post(
        f"{base}/users/register", json={"email": "new@example.com", "password": "new-password-1"}, timeout=10
    )
    assert registered.status_code == 201
    deadline = time.monotonic() + 10
    while not (match := re.search(r"email to new@example.com .* code is (\d+)", log_path.read_text())):
        assert time.monotonic() < deadline, log_path.read_text()[-2000:]
        time.sleep(0.2)
    confirmed = requests.post(
        f"{base}/users/confirm-registration", json={"email": "new@example.com", "code": match.group(1)}, timeout=10
    )
    assert confirmed.status_code == 200
    assert requests.post(
        f"{base}/auth/login", json={"identifier": "new@example.com", "password": "new-password-1"}, timeout=10
    ).ok

    # Business counters, in the one scrape of embedded mode: every service runs in the gateway's process.
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    for service, event_type in (
        ("users", "USER_REGISTERED"),
        ("auth", "USER_LOGGED_IN"),
        ("training", "COURSE_ENROLLED"),
    ):
        assert f'lnd_domain_events_total{{event_type="{event_type}",service="{service}"}}' in metrics, event_type
    assert 'lnd_worker_total{entrypoint="enroll",kind="rpc",outcome="ok",service="training"}' in metrics


def test_operators_use_nameko_shell(platform):
    script = "\n".join(
        [
            "print('users:', n.rpc.users.health()['status'])",
            "print('created:', n.rpc.users.create_user(email='op@example.com', name='Op', roles=['coach'])['roles'])",
            "print('listed:', n.rpc.users.list_users(page_size=5)['total'])",
            "print('auth:', n.rpc.auth.stats()['identities'])",
            "print('training:', n.rpc.training.stats() is not None)",
            "print('coaching:', n.rpc.coaching.health()['status'])",
            "print('events:', n.rpc.events.health()['status'])",
            "print('notifications:', n.rpc.notifications.health()['status'])",
            "print('engagement:', n.rpc.engagement.stats() is not None)",
        ]
    )
    env = {**os.environ, "AMQP_URI": platform["AMQP_URI"]}
    result = subprocess.run(
        [NAMEKO, "shell", "--config", "config.yaml"],
        cwd=ROOT,
        env=env,
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "users: ok" in result.stdout, result.stdout + result.stderr
    assert "created: ['coach']" in result.stdout
    assert "listed: 1" in result.stdout
    assert "auth: 1" in result.stdout
    for line in ("training: True", "coaching: ok", "events: ok", "notifications: ok", "engagement: True"):
        assert line in result.stdout, result.stdout + result.stderr


def test_bootstrap_seeds_the_admin_demo_accounts_and_course_once(platform):
    # Outside embedded mode bootstrap refuses the default admin password.
    env = {**os.environ, "AMQP_URI": platform["AMQP_URI"], "ADMIN_EMAIL": "root@example.com"}
    env["ADMIN_PASSWORD"] = "root-password-1"
    runs = [
        subprocess.run(
            [sys.executable, "-m", "bootstrap", "--demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        for _ in range(2)
    ]
    first, second = (run.stdout for run in runs)
    assert all(run.returncode == 0 for run in runs), [run.stderr for run in runs]
    assert "created admin      root@example.com" in first
    assert "created course     Getting started with the platform" in first
    assert "created" not in second and second.count("exists ") == 5, second
