"""`make shell`: nameko shell on the platform's broker, or one clear line when no platform is there."""

import os
import subprocess
import sys

from common.config import ROOT

SHELL = [sys.executable, str(ROOT / "scripts" / "local_platform.py"), "shell"]


def run_shell(amqp_uri, stdin=""):
    env = {**os.environ, "AMQP_URI": amqp_uri}
    return subprocess.run(SHELL, env=env, input=stdin, capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_without_a_platform_the_shell_says_how_to_start_one(rabbit_config):
    for amqp_uri in ("memory://", rabbit_config["AMQP_URI"], "pyamqp://guest:guest@127.0.0.1:1/"):
        finished = run_shell(amqp_uri)
        assert finished.returncode == 1, finished
        assert "The shell needs the platform on RabbitMQ: start it with `make up`" in finished.stderr
        assert "Traceback" not in finished.stderr


def test_with_the_platform_running_the_shell_calls_services(platform):
    finished = run_shell(platform["AMQP_URI"], stdin="print('answer:', n.rpc.users.health()['status'])\n")
    assert "answer: ok" in finished.stdout, finished.stderr[-2000:]
