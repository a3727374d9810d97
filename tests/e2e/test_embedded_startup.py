"""``make run``'s start-up: embedded.py as a subprocess on a free port with its own var/ directory.

Clients that write while it starts are answered, a second start on the same
address stops with one line, and bad settings stop the start with one line
naming them, never a traceback.
"""

import os
import re
import socket
import subprocess
import sys
import time

import eventlet
import pytest
import requests

from common.config import DEFAULT_PATH, ROOT

START_TIMEOUT = 40
EXIT_TIMEOUT = 60  # generous: these starts run side by side on a busy machine
DEMO_LOGINS = (
    ("admin@example.com", "admin-change-me"),
    ("instructor@example.com", "instructor-demo-1"),
    ("coach@example.com", "coach-demo-1"),
    ("learner@example.com", "learner-demo-1"),
)
CLOSED_BROKER = "pyamqp://lnd:own-secret@127.0.0.1:1//"  # nothing listens on port 1


def free_address():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def embedded_env(var_dir, address, **overrides):
    """The caller's environment without any variable config.yaml reads, then embedded mode's on ``address``."""
    names = set(re.findall(r"\$\{([A-Z0-9_]+)", DEFAULT_PATH.read_text()))
    env = {key: value for key, value in os.environ.items() if key not in names}
    env.update(
        EMBEDDED_VAR_DIR=str(var_dir),
        WEB_SERVER_ADDRESS=address,
        # Argon2 at its production cost would make the start slow; the algorithm is the same.
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_COST="1024",
        PYTHONWARNINGS="ignore",
    )
    env.update(overrides)
    return env


def start(command, env, log_path):
    with open(log_path, "wb") as log:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def finish(process):
    """The exit status of a start expected to stop by itself (killed, and None, if it does not)."""
    try:
        return process.wait(timeout=EXIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def output_of(log_path):
    return [line for line in log_path.read_text().splitlines() if line.strip()]


def run_to_exit(command, env, tmp_path):
    """Exit status and output lines of a start expected to stop by itself."""
    process = start(command, env, tmp_path / "output.log")
    return finish(process), output_of(tmp_path / "output.log")


EMBEDDED = [sys.executable, "embedded.py"]
GATEWAY = "gateway.service:GatewayService"
NAMEKO_RUN_GATEWAY = [sys.executable, "-m", "nameko", "run", "--config", "config.yaml", GATEWAY]


@pytest.fixture(scope="module")
def starting_platform(tmp_path_factory):
    """embedded.py just launched: ``(process, base_url, log_path, env)``; stopped after the module."""
    var_dir = tmp_path_factory.mktemp("var")
    address = free_address()
    env = embedded_env(var_dir, address, GATEWAY_AUTH_RATE_LIMIT="100/60")
    log_path = var_dir / "embedded.log"
    process = start(EMBEDDED, env, log_path)
    yield process, f"http://{address}", log_path, env
    process.kill()  # its orderly stop is not what this module tests
    process.wait()


def first_answer(process, url):
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, "embedded.py exited while starting"
        try:
            return requests.get(url + "/health", timeout=(2, 15))  # a busy machine can be slow to answer
        except requests.ConnectionError:
            eventlet.sleep(0.02)
    pytest.fail(f"no answer on {url}/health within {START_TIMEOUT} s")


def register(url, number):
    body = {"email": f"early{number}@example.com", "password": f"early-pass-{number}", "name": f"Early {number}"}
    try:
        return requests.post(url + "/users/register", json=body, timeout=20).status_code
    except requests.RequestException as exc:
        return repr(exc)


def test_writes_while_it_starts_are_all_answered_and_it_says_when_it_is_ready(starting_platform):
    process, url, log_path, _ = starting_platform
    health = first_answer(process, url)
    # The moment it first answers, while the admin and demo accounts are being seeded, 20 clients register.
    pool = eventlet.GreenPool(20)
    statuses = list(pool.imap(lambda number: register(url, number), range(20)))
    assert statuses == [201] * 20

    # Until the accounts exist, /health says it is starting; then it says ok and they can log in.
    if health.status_code == 503:
        assert health.json()["error"]["message"] == "The platform is starting"
    deadline = time.monotonic() + START_TIMEOUT
    while (health := requests.get(url + "/health", timeout=5)).status_code == 503 and time.monotonic() < deadline:
        eventlet.sleep(0.1)
    assert health.status_code == 200 and health.json()["data"]["status"] == "ok"
    for email, password in DEMO_LOGINS:
        login = requests.post(url + "/auth/login", json={"identifier": email, "password": password}, timeout=10)
        assert login.status_code == 200, (email, login.text)

    assert process.poll() is None
    log = log_path.read_text()
    assert "database is locked" not in log
    assert "The platform is running at" in log and "Seeding the demo accounts failed" not in log


def test_a_second_start_on_the_same_address_stops_with_one_line(starting_platform, tmp_path):
    process, url, _, env = starting_platform
    first_answer(process, url)
    status, lines = run_to_exit(EMBEDDED, env, tmp_path)
    assert status not in (0, None), (status, lines)
    assert lines[-1].startswith("Cannot listen on WEB_SERVER_ADDRESS") and "already in use" in lines[-1]
    assert not any("Traceback" in line for line in lines)
    # The first one still has the address to itself, and still answers.
    assert process.poll() is None
    assert requests.get(url + "/health", timeout=5).status_code in (200, 503)


def test_the_gateway_run_alone_on_a_busy_address_stops_with_one_line(starting_platform, tmp_path):
    process, url, _, env = starting_platform
    first_answer(process, url)
    status, lines = run_to_exit(NAMEKO_RUN_GATEWAY, env, tmp_path)
    assert status not in (0, None), (status, lines)
    assert "Cannot listen on WEB_SERVER_ADDRESS" in lines[-1] and "already in use" in lines[-1]
    assert not any("Traceback" in line for line in lines)


BAD_SETTINGS = {
    "address": ({"WEB_SERVER_ADDRESS": "localhost:http"}, "WEB_SERVER_ADDRESS"),
    "max-workers": ({"MAX_WORKERS": "abc"}, "MAX_WORKERS"),
    "rate-limit": ({"GATEWAY_AUTH_RATE_LIMIT": "lots"}, "GATEWAY_AUTH_RATE_LIMIT"),
    "log-level": ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
    "unreachable-broker": ({"AMQP_URI": CLOSED_BROKER, "ADMIN_PASSWORD": "an-own-password"}, "AMQP_URI"),
    "default-admin-password": ({"AMQP_URI": CLOSED_BROKER}, "ADMIN_PASSWORD"),
}


# The same checks before ``nameko run`` (python -m common.run takes its arguments), and in plain ``nameko run``
# where it reaches service code.
WRAPPED_USERS = [sys.executable, "-m", "common.run", "--config", "config.yaml", "users.service:UsersService"]
SERVICE_BAD_SETTINGS = {
    "run-max-workers": (WRAPPED_USERS, {"MAX_WORKERS": "abc"}, "MAX_WORKERS"),
    "run-unreachable-broker": (WRAPPED_USERS, {"AMQP_URI": CLOSED_BROKER}, "AMQP_URI"),
    "nameko-run-address": (NAMEKO_RUN_GATEWAY, {"WEB_SERVER_ADDRESS": "localhost:http"}, "WEB_SERVER_ADDRESS"),
}


@pytest.fixture(scope="module")
def bad_starts(tmp_path_factory):
    """``{case: (exit status, output lines, var dir)}``: every bad start at once, so they cost one start's time."""
    runs = {}
    for case, (overrides, _) in BAD_SETTINGS.items():
        tmp_path = tmp_path_factory.mktemp(case)
        env = embedded_env(tmp_path / "var", free_address(), **overrides)
        runs[case] = (start(EMBEDDED, env, tmp_path / "output.log"), tmp_path)
    for case, (command, overrides, _) in SERVICE_BAD_SETTINGS.items():
        tmp_path = tmp_path_factory.mktemp(case)
        env = embedded_env(tmp_path / "var", free_address(), **overrides)
        runs[case] = (start(command, env, tmp_path / "output.log"), tmp_path)
    tmp_path = tmp_path_factory.mktemp("bootstrap")
    env = embedded_env(tmp_path / "var", free_address(), AMQP_URI=CLOSED_BROKER)
    runs["bootstrap"] = (start([sys.executable, "-m", "bootstrap"], env, tmp_path / "output.log"), tmp_path)
    results = {}
    for case, (process, tmp_path) in runs.items():
        results[case] = (finish(process), output_of(tmp_path / "output.log"), tmp_path / "var")
    return results


@pytest.mark.parametrize("case", list(BAD_SETTINGS))
def test_a_bad_setting_stops_the_start_with_one_line_naming_it(bad_starts, case):
    status, lines, var_dir = bad_starts[case]
    assert status not in (0, None), (status, lines)
    assert len(lines) == 1 and BAD_SETTINGS[case][1] in lines[0], lines
    assert not (var_dir / "auth.sqlite3").exists()  # stopped before touching anything


@pytest.mark.parametrize("case", list(SERVICE_BAD_SETTINGS))
def test_a_bad_setting_stops_a_service_run_alone_with_one_line_naming_it(bad_starts, case):
    status, lines, _ = bad_starts[case]
    assert status not in (0, None), (status, lines)
    assert len(lines) == 1 and SERVICE_BAD_SETTINGS[case][2] in lines[0], lines


def test_common_run_hands_a_good_config_over_to_nameko_run(tmp_path):
    address = free_address()
    command = [sys.executable, "-m", "common.run", "--config", "config.yaml", GATEWAY]
    process = start(command, embedded_env(tmp_path, address, AMQP_URI="memory://"), tmp_path / "output.log")
    try:
        health = first_answer(process, f"http://{address}")
        assert health.status_code == 200 and health.json()["data"]["service"] == "gateway"
    finally:
        process.kill()
        process.wait()


def test_bootstrap_refuses_the_default_admin_password_outside_embedded_mode(bad_starts):
    status, lines, _ = bad_starts["bootstrap"]
    assert status not in (0, None), (status, lines)
    assert lines[-1].startswith("Refusing to start: ADMIN_PASSWORD is the default 'admin-change-me'")
    assert not any("Traceback" in line for line in lines)
