"""The platform as it runs in production: every service its own ``nameko run`` process, configured by env vars.

``ServiceProcesses(env)`` starts, kills (SIGKILL), stops (SIGTERM) and restarts them one by one, tells which
ones exited by themselves, and keeps each one's output in a log file (read back when something fails).
``platform_env`` builds the environment for a broker and a set of throwaway PostgreSQL databases.
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

from common.config import ROOT

SERVICES = ("users", "auth", "training", "coaching", "events", "notifications", "engagement", "gateway")
NAMEKO = os.path.join(os.path.dirname(sys.executable), "nameko")


def platform_env(amqp_uri, sql_urls, web_port, **extra):
    """The environment variables of config.yaml for one test platform; ``sql_urls``: ``{service: url}``."""
    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "WEB_SERVER_ADDRESS": f"127.0.0.1:{web_port}",
        "MONGO_URI": os.environ.get("MONGO_URI", "mongomock://faults"),
        "MONGO_DB_PREFIX": f"faults_{uuid.uuid4().hex[:8]}_",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_COST": "1024",
        "PYTHONUNBUFFERED": "1",
    }
    for service, url in sql_urls.items():
        env[f"{service.upper()}_DB_URI"] = url
    env.update({key: str(value) for key, value in extra.items()})
    return env


class ServiceProcesses:
    def __init__(self, env, services=SERVICES, log_dir=None):
        self.env = env
        self.services = tuple(services)
        self.log_dir = log_dir or tempfile.mkdtemp(prefix="service-logs-")
        self.processes = {}
        self.stopped_on_purpose = set()

    def log_path(self, service):
        return os.path.join(self.log_dir, f"{service}.log")

    def start(self, service):
        log = open(self.log_path(service), "a")  # noqa: SIM115 (kept open for the child's life)
        self.processes[service] = subprocess.Popen(
            [NAMEKO, "run", "--config", "config.yaml", f"{service}.service"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.stopped_on_purpose.discard(service)

    def start_all(self):
        for service in self.services:
            self.start(service)

    def kill(self, service):
        """SIGKILL: the process dies with whatever it had in hand."""
        self._signal(service, signal.SIGKILL)

    def terminate(self, service, timeout=20):
        """SIGTERM: Nameko's graceful stop (running workers finish)."""
        self._signal(service, signal.SIGTERM, timeout)

    def _signal(self, service, signum, timeout=10):
        process = self.processes.get(service)
        self.stopped_on_purpose.add(service)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signum)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def pause(self, service):
        """SIGSTOP: the process holds its connections and messages but does nothing (a hung service)."""
        self.processes[service].send_signal(signal.SIGSTOP)

    def resume(self, service):
        self.processes[service].send_signal(signal.SIGCONT)

    def exited(self):
        """``{service: exit code}`` of the processes that ended without being told to."""
        return {
            service: process.returncode
            for service, process in self.processes.items()
            if service not in self.stopped_on_purpose and process.poll() is not None
        }

    def running(self, service):
        process = self.processes.get(service)
        return process is not None and process.poll() is None

    def log_tail(self, service, lines=40):
        try:
            with open(self.log_path(service)) as handle:
                return "".join(handle.readlines()[-lines:])
        except OSError:
            return ""

    def stop_all(self, timeout=15):
        """SIGTERM to every process at once, SIGKILL to those still running ``timeout`` seconds later."""
        alive = [process for process in self.processes.values() if process.poll() is None]
        self.stopped_on_purpose.update(self.processes)
        for process in alive:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in alive:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def wait_until(predicate, timeout, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout}s")
        time.sleep(interval)
