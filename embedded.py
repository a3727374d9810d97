"""Embedded mode: the whole platform in one process with nothing but Python.

``memory://`` broker, SQLite files under var/, mongomock, codes in the log.
Migrates, starts every service and the gateway, seeds the admin and demo
accounts, prints how to log in, and runs until interrupted.
"""

import eventlet

eventlet.monkey_patch()  # noqa: E402 -- before anything else touches sockets or threads

import logging.config  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402

from nameko.constants import DEFAULT_TRANSPORT_OPTIONS  # noqa: E402
from nameko.rpc import Responder  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

import bootstrap  # noqa: E402
from common.config import ROOT, load_config  # noqa: E402
from common.migrations import SQL_SERVICES, upgrade  # noqa: E402

SERVICE_CLASSES = (
    "gateway.service:GatewayService",
    "auth.service:AuthService",
    "users.service:UsersService",
    "training.service:TrainingService",
    "coaching.service:CoachingService",
    "events.service:EventsService",
    "notifications.service:NotificationsService",
    "engagement.service:EngagementService",
)


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


def main():
    os.chdir(ROOT)
    os.makedirs("var", exist_ok=True)
    config = load_config()
    logging.config.dictConfig(config["LOGGING"])
    for service in SQL_SERVICES:
        upgrade(service, config["DB_URIS"][f"{service}:Base"])

    if config["AMQP_URI"].startswith("memory://"):
        carry_content_type_in_memory_transport()
        # The in-memory transport polls its queues; kombu's default of 1 s is a second per hop.
        config["TRANSPORT_OPTIONS"] = {**DEFAULT_TRANSPORT_OPTIONS, "polling_interval": 0.01}
    runner = ServiceRunner(config)
    for path in SERVICE_CLASSES:
        runner.add_service(load_class(path))
    # Signal handlers run in the hub, where eventlet cannot block: stop from a greenlet.
    signal.signal(signal.SIGTERM, lambda *_: eventlet.spawn_n(runner.stop))
    runner.start()
    announce(config)
    wait_until_stopped(runner)


def announce(config):
    with ClusterRpcProxy(config) as rpc:
        seeded = bootstrap.seed(rpc.users, config, demo=True)
        bootstrap.seed_demo(config, rpc)
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
