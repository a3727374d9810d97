"""Operators' shells: `make shell` on the platform's broker, and Nameko's own `nameko shell` on the default config.

Both say at once, in one line, how to start the platform when there is none to reach, instead of waiting for ever.
"""

import os
import subprocess
import sys
import sysconfig
import time

import pytest

from common.config import ROOT

SHELL = [sys.executable, str(ROOT / "scripts" / "local_platform.py"), "shell"]
NAMEKO = os.path.join(os.path.dirname(sys.executable), "nameko")
HINT = "The shell needs the platform on RabbitMQ: start it with `make up`"


def run_shell(amqp_uri, stdin=""):
    env = {**os.environ, "AMQP_URI": amqp_uri}
    return subprocess.run(SHELL, env=env, input=stdin, capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_without_a_platform_the_shell_says_how_to_start_one(rabbit_config):
    for amqp_uri in ("memory://", rabbit_config["AMQP_URI"], "pyamqp://guest:guest@127.0.0.1:1/"):
        finished = run_shell(amqp_uri)
        assert finished.returncode == 1, finished
        assert HINT in finished.stderr
        assert "Traceback" not in finished.stderr


def test_with_the_platform_running_the_shell_calls_services(platform):
    finished = run_shell(platform["AMQP_URI"], stdin="print('answer:', n.rpc.users.health()['status'])\n")
    assert "answer: ok" in finished.stdout, finished.stderr[-2000:]


@pytest.fixture(scope="module")
def guarded_python(tmp_path_factory):
    """The interpreter of a fresh venv as `make` leaves it: the project's packages, and the shell guard installed
    by `python -m common.shell_guard install` for this checkout (the project's own venv is shared, so the test
    does not write into it)."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = str(venv / "bin" / "python")
    site_packages = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Named to come first: site reads .pth files in order, and the guard's line needs Nameko and PyYAML.
    with open(os.path.join(site_packages, "00-platform-packages.pth"), "w") as pth:
        pth.write(sysconfig.get_path("purelib") + "\n")
    subprocess.run([python, "-m", "common.shell_guard", "install"], cwd=ROOT, check=True, timeout=60)
    return python


def nameko_shell(python, env, stdin):
    started = time.monotonic()
    finished = subprocess.run(
        [python, NAMEKO, "shell", "--config", "config.yaml"],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,  # without the guard, the call below waits for ever
    )
    return finished, time.monotonic() - started


def test_nameko_shell_on_the_default_config_stops_at_once_saying_how_to_start_the_platform(guarded_python):
    env = {key: value for key, value in os.environ.items() if key != "AMQP_URI"}
    finished, seconds = nameko_shell(guarded_python, env, stdin="n.rpc.users.health()\n")
    assert finished.returncode == 1, finished
    assert seconds < 15
    message = finished.stderr.strip()
    assert message.startswith("nameko shell: AMQP_URI is memory://, embedded mode's in-process broker"), message
    assert "The shell needs the platform on RabbitMQ: start it with `make up`" in message
    assert "then `make shell`" in message and "AMQP_URI=pyamqp://" in message
    assert "Traceback" not in finished.stderr


def test_the_guard_lets_nameko_shell_through_to_rabbitmq(guarded_python, rabbit_config):
    env = {**os.environ, "AMQP_URI": rabbit_config["AMQP_URI"]}
    finished, _ = nameko_shell(guarded_python, env, stdin="print('answer:', n.config['AMQP_URI'])\n")
    assert finished.returncode == 0, finished
    assert f"answer: {rabbit_config['AMQP_URI']}" in finished.stdout
