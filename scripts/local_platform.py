"""The platform on this machine's RabbitMQ and PostgreSQL, one process per service, in the background.

    python scripts/local_platform.py up      # databases made and migrated, every service started, waits for /ready
    python scripts/local_platform.py down    # stops what `up` started (SIGTERM: requests in flight finish)
    python scripts/local_platform.py status
    python scripts/local_platform.py shell   # `nameko shell` on the platform's broker, once it is sure one is there

`make up`, `make down` and `make shell` (an operator's `nameko shell` on the same broker) call it. Logs go to
var/platform/<service>.log. Each process serves its Prometheus metrics on its own port, METRICS_BASE_PORT (9100)
plus its place in SERVICES: auth 9100, users 9101, training 9102, coaching 9103, events 9104, notifications 9105,
engagement 9106, gateway 9107 (METRICS_BASE_PORT=0 turns them off; docs/operations.md). MongoDB is in-process
(mongomock) unless MONGO_URI names a server, so the MongoDB services start afresh each time; Redis is used when
REDIS_URL is set.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common.migrations import SQL_SERVICES, upgrade  # noqa: E402
from common.services import SERVICE_CLASSES, SERVICES  # noqa: E402

STATE = ROOT / "var" / "platform"
DEFAULTS = {
    "AMQP_URI": "pyamqp://guest:guest@127.0.0.1:5672/",
    "PG_SERVER_URL": "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432",
    "WEB_SERVER_ADDRESS": "127.0.0.1:8000",
    "MONGO_URI": "mongomock://local",
    "METRICS_BASE_PORT": "9100",
}


def settings():
    return {key: os.environ.get(key) or value for key, value in DEFAULTS.items()}


def database_urls(pg_server_url):
    return {service: f"{pg_server_url}/lnd_{service}" for service in SQL_SERVICES}


def prepare_databases(pg_server_url):
    admin = create_engine(f"{pg_server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            existing = set(conn.execute(text("SELECT datname FROM pg_database")).scalars())
            for service in SQL_SERVICES:
                if f"lnd_{service}" not in existing:
                    conn.execute(text(f'CREATE DATABASE "lnd_{service}"'))
    finally:
        admin.dispose()
    for service, url in database_urls(pg_server_url).items():
        upgrade(service, url)


def metrics_port(service, base_port):
    """The port of ``service``'s metrics: one per process, so that Prometheus scrapes each one (0: off)."""
    base_port = int(base_port or 0)
    return base_port + SERVICES.index(service) if base_port else 0


def service_env(service, platform_env, base_port):
    """The environment of ``service``'s process: the platform's, and its own metrics port."""
    return {**platform_env, "METRICS_PORT": str(metrics_port(service, base_port))}


def service_command(service):
    return [sys.executable, "-m", "common.run", "--config", "config.yaml", SERVICE_CLASSES[service]]


def pid_file(service):
    return STATE / f"{service}.pid"


def running(service):
    try:
        pid = int(pid_file(service).read_text())
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError):
        return None


def up():
    config = settings()
    STATE.mkdir(parents=True, exist_ok=True)
    if any(running(service) for service in SERVICES):
        sys.exit("The platform is already running here: `make down` first (or `make status`).")
    print("Migrating the databases...", flush=True)
    prepare_databases(config["PG_SERVER_URL"])
    platform_keys = ("PG_SERVER_URL", "METRICS_BASE_PORT")
    env = {**os.environ, **{k: v for k, v in config.items() if k not in platform_keys}}
    env.update({f"{service.upper()}_DB_URI": url for service, url in database_urls(config["PG_SERVER_URL"]).items()})
    for service in SERVICES:
        with open(STATE / f"{service}.log", "a") as log:
            process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
                service_command(service),
                cwd=ROOT,
                env=service_env(service, env, config["METRICS_BASE_PORT"]),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        pid_file(service).write_text(str(process.pid))
        port = metrics_port(service, config["METRICS_BASE_PORT"])
        metrics = f", metrics on :{port}/metrics" if port else ""
        print(f"  started {service} (pid {process.pid}, log var/platform/{service}.log{metrics})", flush=True)
    url = f"http://{config['WEB_SERVER_ADDRESS']}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        stopped = [service for service in SERVICES if not running(service)]
        if stopped:
            sys.exit(f"These services stopped at start: {', '.join(stopped)} (see var/platform/<service>.log)")
        try:
            if requests.get(f"{url}/ready", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(1)
    else:
        sys.exit(f"The platform did not become ready at {url}/ready within 90 s (see var/platform/*.log)")
    print(f"\nThe platform is running at {url} (API docs: {url}/docs), one process per service.")
    print("Create the admin and demo accounts with: ADMIN_PASSWORD=<a password> .venv/bin/python -m bootstrap --demo")
    print("Operator shell: make shell. Stop: make down.")


def down():
    for service in SERVICES:
        pid = running(service)
        if pid:
            os.killpg(pid, signal.SIGTERM)
            print(f"  stopping {service} (pid {pid})")
    deadline = time.monotonic() + 30
    while any(running(service) for service in SERVICES) and time.monotonic() < deadline:
        time.sleep(0.5)
    for service in SERVICES:
        pid = running(service)
        if pid:
            os.killpg(pid, signal.SIGKILL)
        pid_file(service).unlink(missing_ok=True)


def status():
    base_port = settings()["METRICS_BASE_PORT"]
    for service in SERVICES:
        pid = running(service)
        port = metrics_port(service, base_port)
        metrics = f"  metrics :{port}" if pid and port else ""
        print(f"{service:<14} {f'running (pid {pid})' if pid else 'stopped'}{metrics}")


def shell():
    """Nameko's shell on the running platform; with no platform on the broker, one line saying how to start it
    (Nameko's own shell on the default memory:// broker would wait for ever: nothing answers there)."""
    from kombu import Connection

    amqp_uri = settings()["AMQP_URI"]
    hint = (
        "The shell needs the platform on RabbitMQ: start it with `make up` (or docker compose up), then `make shell`."
    )
    if amqp_uri.startswith("memory://"):
        sys.exit(f"AMQP_URI is memory://, which only reaches services inside one process. {hint}")
    try:
        with Connection(amqp_uri, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
            consumers = connection.default_channel.queue_declare("rpc-users", passive=True).consumer_count
    except Exception as exc:  # the broker is down, or no users service ever declared its queue
        sys.exit(f"No platform answers on {amqp_uri} ({type(exc).__name__}). {hint}")
    if not consumers:
        sys.exit(f"The broker at {amqp_uri} answers, but no users service is running. {hint}")
    nameko = str(Path(sys.executable).parent / "nameko")
    os.chdir(ROOT)
    os.execve(nameko, [nameko, "shell", "--config", "config.yaml"], {**os.environ, "AMQP_URI": amqp_uri})  # noqa: S606


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down", "status", "shell"])
    {"up": up, "down": down, "status": status, "shell": shell}[parser.parse_args().action]()


if __name__ == "__main__":
    main()
