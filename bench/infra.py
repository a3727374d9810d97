"""The throwaway infrastructure of one run: a RabbitMQ vhost, PostgreSQL databases, service processes.

Everything here is created for the run and removed after it; nothing touches
existing vhosts or databases.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg2
import requests
from psycopg2 import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def nameko_executable():
    """The venv's ``nameko``: beside the running interpreter, else the project's .venv, else PATH."""
    for candidate in (Path(sys.executable).parent / "nameko", ROOT / ".venv" / "bin" / "nameko"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("nameko")
    if found is None:
        raise RuntimeError("nameko is not installed: run `make install` first")
    return found


class RabbitVhost:
    """A vhost made through the management API, with full permissions for the API's user."""

    def __init__(self, api_url, amqp_url, name):
        parts = urlsplit(api_url)
        self.api = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api"
        self.auth = (parts.username or "guest", parts.password or "guest")
        self.amqp_url = amqp_url.rstrip("/")
        self.name = name
        self.created = False

    @property
    def amqp_uri(self):
        return f"{self.amqp_url}/{quote(self.name, safe='')}"

    def _url(self, *parts):
        return "/".join([self.api, *(quote(part, safe="") for part in parts)])

    def create(self):
        response = requests.put(self._url("vhosts", self.name), auth=self.auth, timeout=10)
        response.raise_for_status()
        self.created = True
        permissions = {"configure": ".*", "write": ".*", "read": ".*"}
        response = requests.put(
            self._url("permissions", self.name, self.auth[0]), json=permissions, auth=self.auth, timeout=10
        )
        response.raise_for_status()

    def queue_consumers(self, queue):
        response = requests.get(self._url("queues", self.name, queue), auth=self.auth, timeout=10)
        if response.status_code == 404:
            return 0
        response.raise_for_status()
        return response.json().get("consumers") or 0

    def delete(self):
        if self.created:
            response = requests.delete(self._url("vhosts", self.name), auth=self.auth, timeout=30)
            if response.status_code not in (204, 404):
                response.raise_for_status()
            self.created = False


class Databases:
    """Fresh PostgreSQL databases on one server, dropped (with their connections) at the end."""

    def __init__(self, server_url, names):
        self.server = make_url(server_url)
        self.names = list(names)
        self.created = []

    def url(self, name):
        return self.server.set(drivername="postgresql+psycopg2", database=name).render_as_string(hide_password=False)

    def _admin_connection(self):
        connection = psycopg2.connect(
            host=self.server.host or "127.0.0.1",
            port=self.server.port or 5432,
            user=self.server.username or "postgres",
            password=self.server.password,
            dbname="postgres",
            connect_timeout=10,
        )
        connection.autocommit = True
        return connection

    def create(self):
        connection = self._admin_connection()
        try:
            with connection.cursor() as cursor:
                for name in self.names:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    self.created.append(name)
        finally:
            connection.close()

    def drop(self):
        if not self.created:
            return
        connection = self._admin_connection()
        try:
            with connection.cursor() as cursor:
                while self.created:
                    name = self.created.pop()
                    cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        finally:
            connection.close()


def default_sigint():
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class ServiceProcess:
    """One ``nameko run --config config.yaml <module>``, its output in a log file."""

    CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, name, module, env, log_path, stop_signal=signal.SIGTERM):
        self.name = name
        self.stop_signal = stop_signal
        self.module = module
        self.env = env
        self.log_path = Path(log_path)
        self.process = None

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [nameko_executable(), "run", "--config", "config.yaml", self.module],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # A shell starting the benchmark in the background makes it ignore SIGINT, and children
                # inherit that; give them back the default so SIGINT reaches ``nameko run``.
                preexec_fn=default_sigint,
            )

    @property
    def pid(self):
        return self.process.pid if self.process else None

    def exited(self):
        return self.process is not None and self.process.poll() is not None

    def cpu_seconds(self):
        """User plus system CPU time so far (Linux /proc), or None where that is not available."""
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text()
        except (OSError, TypeError):
            return None
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.CLOCK_TICKS

    def request_stop(self):
        """Ask for a graceful stop: Nameko lets running workers finish.

        SIGTERM, as a process manager would send, except for processes made
        with ``stop_signal=signal.SIGINT``: ``nameko run`` handles SIGTERM by
        scheduling the stop on the eventlet hub, and a process with no AMQP
        consumer and no timer (bench/bare.py) has an idle hub that only wakes
        up to run it after up to a minute. SIGINT (Nameko's Ctrl-C) stops it
        at once.
        """
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(self.stop_signal)

    def wait_or_kill(self, timeout):
        """Wait for the process to end; kill it when it has not within ``timeout``. True if it was killed."""
        if self.process is None:
            return False
        try:
            self.process.wait(max(0.0, timeout))
            return False
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            return True

    def log_tail(self, lines=30):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_summary(self):
        """How many WARNING and ERROR records and tracebacks the service logged."""
        counts = {"warnings": 0, "errors": 0, "tracebacks": 0}
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return counts
        for line in text.splitlines():
            if " WARNING " in line:
                counts["warnings"] += 1
            elif " ERROR " in line or " CRITICAL " in line:
                counts["errors"] += 1
            elif line.startswith("Traceback"):
                counts["tracebacks"] += 1
        return counts


def machine_cpu_times():
    """``(busy, total)`` CPU time of the whole machine in clock ticks (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat") as stream:
            fields = [int(value) for value in stream.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already counted in user
    return total - idle, total


INFRASTRUCTURE_COMMANDS = {"rabbitmq": ("beam.smp",), "postgresql": ("postgres",)}


def infrastructure_cpu_seconds():
    """``{"rabbitmq": {pid: cpu seconds}, "postgresql": {...}}`` for every such process on the machine (/proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    found = {name: {} for name in INFRASTRUCTURE_COMMANDS}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        command = stat[stat.find("(") + 1 : stat.rfind(")")]
        for name, commands in INFRASTRUCTURE_COMMANDS.items():
            if command in commands:
                fields = stat.rsplit(")", 1)[1].split()
                found[name][int(entry.name)] = (int(fields[11]) + int(fields[12])) / ServiceProcess.CLOCK_TICKS
    return found


def infrastructure_cpu_used(before, after):
    """CPU seconds used between two snapshots, by processes alive at the second.

    A process that started in between counts whole; one that ended in between
    (a PostgreSQL backend whose client disconnected) is lost.
    """
    if not before or not after:
        return {}
    return {
        name: sum(seconds - before.get(name, {}).get(pid, 0.0) for pid, seconds in processes.items())
        for name, processes in after.items()
    }


def wait_for_queues(vhost, queues, processes, timeout):
    """Wait until every RPC queue has a consumer: the services are listening."""
    deadline = time.monotonic() + timeout
    for queue in queues:
        while vhost.queue_consumers(queue) < 1:
            check_alive(processes)
            if time.monotonic() > deadline:
                raise RuntimeError(f"no consumer on {queue} after {timeout}s")
            time.sleep(0.25)


def check_alive(processes):
    for process in processes:
        if process.exited():
            raise RuntimeError(f"{process.name} exited with code {process.process.returncode}:\n{process.log_tail()}")


def wait_for_health(base_url, paths, processes, timeout):
    """Poll each path until it answers 200, failing early when a service process dies."""
    deadline = time.monotonic() + timeout
    pending = list(paths)
    last = {}
    while pending:
        check_alive(processes)
        path = pending[0]
        try:
            response = requests.get(base_url + path, timeout=5)
            if response.status_code == 200:
                pending.pop(0)
                continue
            last[path] = f"HTTP {response.status_code}: {response.text[:200]}"
        except requests.RequestException as error:
            last[path] = repr(error)
        if time.monotonic() > deadline:
            raise RuntimeError(f"not healthy after {timeout}s: {pending} (last answers: {last})")
        time.sleep(0.25)
