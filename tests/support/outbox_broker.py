"""A RabbitMQ node of the test's own, for a broker outage (the shared node on 5672 is never touched).

Its HOME (with its own Erlang cookie), database, logs and (empty) plugins file live in one temporary
folder. It is started with ``/usr/lib/rabbitmq/bin/rabbitmq-server`` itself: the ``/usr/sbin`` wrapper
switches user and drops this environment. ``stop_app`` refuses every connection until ``start_app``.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid

BIN = "/usr/lib/rabbitmq/bin"


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OutboxBroker:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="outbox-rabbit-")
        self.port = _free_port()
        self.node = f"rabbit-outbox-{uuid.uuid4().hex[:6]}@localhost"
        home = os.path.join(self.folder, "home")
        os.makedirs(home)
        cookie = os.path.join(home, ".erlang.cookie")
        with open(cookie, "w") as handle:
            handle.write(uuid.uuid4().hex)
        os.chmod(cookie, 0o400)
        plugins = os.path.join(self.folder, "enabled_plugins")
        with open(plugins, "w") as handle:
            handle.write("[].\n")
        self.env = {
            **os.environ,
            "HOME": home,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(_free_port()),
            "RABBITMQ_MNESIA_BASE": os.path.join(self.folder, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.folder, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": plugins,
            "RABBITMQ_PID_FILE": os.path.join(self.folder, "node.pid"),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.folder, "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(self.folder, "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": os.path.join(self.folder, "rabbitmq-env.conf"),
        }

    @property
    def amqp_uri(self):
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *args):
        subprocess.run([f"{BIN}/rabbitmqctl", "-n", self.node, *args], env=self.env, check=True, capture_output=True)

    def start(self):
        subprocess.run([f"{BIN}/rabbitmq-server", "-detached"], env=self.env, check=True, capture_output=True)
        self.ctl("wait", "--timeout", "60", self.env["RABBITMQ_PID_FILE"])
        self._wait_for_port()

    def _wait_for_port(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(f"{self.node} does not listen on {self.port}")

    def stop_app(self):
        self.ctl("stop_app")

    def start_app(self):
        self.ctl("start_app")
        self._wait_for_port()

    def teardown(self):
        try:
            self.ctl("stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
