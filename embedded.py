"""Embedded mode: the whole platform in one process with nothing but Python.

``memory://`` broker, SQLite files under var/, mongomock, codes in the log.
Checks the settings (a bad one, or a busy address, stops it with one line),
migrates, starts every service and the gateway, seeds the admin and demo
accounts (GET /health answers 503 until then; a failed seeding is logged and
never stops it), prints how to log in, and runs until interrupted.
"""

import common  # noqa: F401, I001 -- first: it quiets the stack's start-up warnings
import eventlet

eventlet.monkey_patch()  # noqa: E402 -- before anything else touches sockets or threads

import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402

from nameko.constants import DEFAULT_TRANSPORT_OPTIONS  # noqa: E402
from nameko.rpc import Responder  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

import bootstrap  # noqa: E402
from common.config import ROOT, load_config  # noqa: E402
from common.config_check import ready_to_start, setting_name  # noqa: E402
from common.migrations import SQL_SERVICES, upgrade  # noqa: E402
from common.services import SERVICE_CLASSES as SERVICE_CLASSES_BY_NAME  # noqa: E402
from gateway import readiness  # noqa: E402
from gateway.webserver import ensure_free  # noqa: E402

log = logging.getLogger("embedded")

# Where the SQLite files and media go (relative to the checkout); the DB and media variables still win.
VAR_DIR_VARIABLE = "EMBEDDED_VAR_DIR"
SEED_ATTEMPTS = 3
SEED_RPC_TIMEOUT = 30

# The gateway first: its web server answers (503 "starting") while the others come up.
SERVICE_CLASSES = sorted(SERVICE_CLASSES_BY_NAME.values(), key=lambda path: not path.startswith("gateway."))


def carry_content_type_in_memory_transport():
    """Nameko replies in the request's content type, read from ``properties``,
    where py-amqp puts it; kombu's in-memory messages keep it beside them."""
    send_response = Responder.send_response

    def send_response_with_content_type(self, result, exc_info):
        self.message.properties.setdefault("content_type", self.message.content_type)
        return send_response(self, result, exc_info)

    Responder.send_response = send_response_with_content_type


def load_class(path):
    module_name, _, class_name = path.partition(":")
    module = __import__(module_name, fromlist=[class_name])
    return getattr(module, class_name)


def use_var_dir():
    var_dir = os.path.abspath(os.environ.get(VAR_DIR_VARIABLE) or "var")
    os.makedirs(var_dir, exist_ok=True)
    for service in SQL_SERVICES:
        os.environ.setdefault(setting_name(("DB_URIS", f"{service}:Base")), f"sqlite:///{var_dir}/{service}.sqlite3")
    os.environ.setdefault(setting_name(("MEDIA", "LOCAL_DIRECTORY")), os.path.join(var_dir, "media"))


def prepare():
    """The checked config, logging set up, databases migrated; ``StartupError`` (one line, exit 1) otherwise."""
    use_var_dir()
    config = ready_to_start(load_config())
    # Before touching the databases: a second start on a busy address must leave the first one's files alone.
    ensure_free(config["WEB_SERVER_ADDRESS"])
    for service in SQL_SERVICES:
        upgrade(service, config["DB_URIS"][f"{service}:Base"])
    return config


def main():
    os.chdir(ROOT)
    config = prepare()
    if config["AMQP_URI"].startswith("memory://"):
        carry_content_type_in_memory_transport()
        # The in-memory transport polls its queues; kombu's default of 1 s is a second per hop.
        config["TRANSPORT_OPTIONS"] = {**DEFAULT_TRANSPORT_OPTIONS, "polling_interval": 0.01}
    runner = ServiceRunner(config)
    for path in SERVICE_CLASSES:
        runner.add_service(load_class(path))
    # Signal handlers run in the hub, where eventlet cannot block: stop from a greenlet.
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn_n(runner.stop))
    # GET /health answers 503 "starting" until the accounts below exist.
    readiness.mark_starting()
    runner.start()
    url = f"http://{config['WEB_SERVER_ADDRESS']}"
    print(f"\nStarting at {url}: GET /health answers 503 until the demo accounts are seeded.", flush=True)
    eventlet.spawn_n(seed_and_announce, config)
    wait_until_stopped(runner)


def seed(config):
    with ClusterRpcProxy(config, timeout=SEED_RPC_TIMEOUT) as rpc:
        seeded = bootstrap.seed(rpc.users, config, demo=True)
        bootstrap.seed_demo(config, rpc, timeout=SEED_RPC_TIMEOUT)
    return seeded


def seed_and_announce(config):
    """Seed the accounts and the demo course, then say the platform is ready; a failure never stops it."""
    for attempt in range(1, SEED_ATTEMPTS + 1):
        try:
            seeded = seed(config)
            break
        except Exception as exc:  # whatever went wrong, the platform keeps serving
            log.error("Seeding the demo accounts failed (attempt %d of %d): %r", attempt, SEED_ATTEMPTS, exc)
            eventlet.sleep(attempt)
    else:
        log.error(
            "The platform runs WITHOUT its admin and demo accounts and demo course (see the errors above);"
            " restart it, or run python -m bootstrap --demo, to try again"
        )
        readiness.mark_ready()
        return
    readiness.mark_ready()
    announce(config, seeded)


def announce(config, seeded):
    url = f"http://{config['WEB_SERVER_ADDRESS']}"
    print(f"\nThe platform is running at {url}  (API docs: {url}/docs)\n", flush=True)
    print('Log in with POST /auth/login {"identifier": <email>, "password": <password>}:')
    for email, password, roles, _ in seeded:
        print(f"  {','.join(roles):<11} {email:<28} {password}")
    print(f"\nA published demo course, {bootstrap.DEMO_COURSE_TITLE!r}, is ready to enroll in.")
    print("\nConfirmation and reset codes are written to this log. Ctrl-C stops.\n", flush=True)


def wait_until_stopped(runner):
    # A signal during a socket wait surfaces as EINTR in the waiting greenlet: keep waiting.
    waiter = eventlet.spawn(runner.wait)
    while True:
        try:
            waiter.wait()
            return
        except InterruptedError:
            continue
        except KeyboardInterrupt:
            runner.stop()
            return


if __name__ == "__main__":
    main()
