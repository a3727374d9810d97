"""A RabbitMQ node of the test's own, to stop and start at will (the shared one on 5672 is never touched).

Everything the node writes lives under one temporary folder: its HOME (with its own ``.erlang.cookie``),
its database, its logs and its plugins file (no plugins: the management API is not needed here). The node
is started with the server script itself (``/usr/lib/rabbitmq/bin/rabbitmq-server``), not the
``/usr/sbin`` wrapper, which switches to the rabbitmq user and drops this environment.

``stop_app`` / ``start_app`` stop and start RabbitMQ inside the running Erlang node: every connection is
dropped and refused until ``start_app``, durable queues and their persistent messages are kept. That is
the broker outage the fault suite plays.
"""

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

from nameko.testing.utils import find_free_port

RABBIT_BIN = os.environ.get("RABBITMQ_BIN_DIR", "/usr/lib/rabbitmq/bin")


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class PrivateRabbit:
    """``start()`` a node, ``amqp_uri`` to reach it, ``stop_app()`` / ``start_app()`` for an outage,
    ``teardown()`` to stop it and delete its folder."""

    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="private-rabbit-")
        self.port = find_free_port()
        self.dist_port = find_free_port()
        self.nodename = f"fault{uuid.uuid4().hex[:8]}@localhost"
        self.home = os.path.join(self.folder, "home")
        os.makedirs(self.home)
        cookie = os.path.join(self.home, ".erlang.cookie")
        with open(cookie, "w") as handle:
            handle.write(secrets.token_hex(16))
        os.chmod(cookie, 0o400)
        plugins = os.path.join(self.folder, "enabled_plugins")
        with open(plugins, "w") as handle:
            handle.write("[].\n")
        self.env = {
            **os.environ,
            "HOME": self.home,
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": os.path.join(self.folder, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.folder, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": plugins,
            "RABBITMQ_PID_FILE": os.path.join(self.folder, "node.pid"),
            # No config file of the machine's: only what this environment says.
            "RABBITMQ_CONFIG_FILE": os.path.join(self.folder, "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(self.folder, "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": os.path.join(self.folder, "rabbitmq-env.conf"),
        }
        self.started = False

    @property
    def amqp_uri(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args, timeout=60):
        return subprocess.run(
            [os.path.join(RABBIT_BIN, "rabbitmqctl"), "-n", self.nodename, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )

    def start(self, timeout=90):
        subprocess.run(
            [os.path.join(RABBIT_BIN, "rabbitmq-server"), "-detached"],
            env=self.env,
            capture_output=True,
            timeout=30,
            check=True,
        )
        self.started = True
        self.ctl("wait", self.env["RABBITMQ_PID_FILE"], "--timeout", str(timeout), timeout=timeout + 10)
        self._wait_for_port(True, timeout)
        return self

    def stop_app(self):
        """The outage begins: connections are closed and refused."""
        self.ctl("stop_app")
        self._wait_for_port(False, 30)

    def start_app(self, timeout=60):
        """The outage ends."""
        self.ctl("start_app", timeout=timeout)
        self._wait_for_port(True, timeout)

    def _wait_for_port(self, open_, timeout):
        deadline = time.monotonic() + timeout
        while port_open(self.port) != open_:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.nodename}: port {self.port} still {'closed' if open_ else 'open'}")
            time.sleep(0.2)

    def teardown(self):
        try:
            if self.started:
                try:
                    self.ctl("stop", self.env["RABBITMQ_PID_FILE"], timeout=60)
                except (subprocess.SubprocessError, OSError):
                    self._kill_by_pid_file()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _kill_by_pid_file(self):
        try:
            with open(self.env["RABBITMQ_PID_FILE"]) as handle:
                pid = int(handle.read().strip())
            os.kill(pid, 9)
        except (OSError, ValueError):
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.teardown()
