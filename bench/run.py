"""The load benchmark: the platform on real RabbitMQ and PostgreSQL, against a bare Nameko endpoint.

``python -m bench.run [--clients 16] [--seconds 20]`` (or ``make bench``):

1. makes a throwaway RabbitMQ vhost and fresh PostgreSQL databases (migrated);
2. starts gateway, auth and users (``--all-services``: every service) and the
   bare endpoint of ``bench/bare.py``, each its own ``nameko run`` process;
3. seeds benchmark users over RPC and logs each in once;
4. drives the gateway with concurrent clients on a mix of login, profile
   read, user search and profile update, then the bare endpoint the same way;
5. prints one JSON document and writes it to bench/results/latest.json;
6. stops the processes, deletes the vhost and drops the databases, whatever happened.

Progress goes to stderr; stdout carries only the JSON.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import platform as platform_module
import secrets
import signal
import sys
import threading
import time
import warnings
from importlib import metadata

import requests

from bench import load
from bench.infra import (
    ROOT,
    Databases,
    RabbitVhost,
    ServiceProcess,
    free_port,
    infrastructure_cpu_seconds,
    infrastructure_cpu_used,
    machine_cpu_times,
    wait_for_health,
    wait_for_queues,
)

RESULTS_DIR = ROOT / "bench" / "results"
# ``module:Class``: a bare ``nameko run auth.service`` also finds the imported base class PlatformService.
SERVICE_CLASSES = {
    "gateway": "gateway.service:GatewayService",
    "auth": "auth.service:AuthService",
    "users": "users.service:UsersService",
    "training": "training.service:TrainingService",
    "coaching": "coaching.service:CoachingService",
    "events": "events.service:EventsService",
    "notifications": "notifications.service:NotificationsService",
    "engagement": "engagement.service:EngagementService",
}
REQUIRED_SERVICES = ("gateway", "auth", "users")
OTHER_SERVICES = ("training", "coaching", "events", "notifications", "engagement")
HEALTH_PATHS = ("/health", "/auth/health", "/users/health")
STOP_GRACE_SECONDS = 20


warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def say(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_mix(text):
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        name = name.strip()
        if name not in load.OPERATIONS:
            raise argparse.ArgumentTypeError(f"unknown operation {name!r}; known: {', '.join(load.OPERATIONS)}")
        mix[name] = float(weight)
    if sum(mix.values()) <= 0:
        raise argparse.ArgumentTypeError("the mix needs a positive weight")
    return mix


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per target (default 20)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each target (default 2)")
    parser.add_argument("--users", type=int, default=50, help="benchmark users to seed (default 50)")
    parser.add_argument(
        "--mix",
        type=parse_mix,
        default=dict(load.PLATFORM_MIX),
        help="operation weights, default login=10,profile_read=50,search=25,profile_update=15",
    )
    parser.add_argument("--max-requests", type=int, default=200_000, help="per client and target, a bound besides time")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before one request counts as failed")
    parser.add_argument("--all-services", action="store_true", help="also start training, coaching, events, ...")
    parser.add_argument("--skip-bare", action="store_true", help="do not measure the bare Nameko endpoint")
    parser.add_argument(
        "--rabbit-api",
        default=os.environ.get("BENCH_RABBIT_API", "http://guest:guest@127.0.0.1:15672"),
        help="RabbitMQ management API, with credentials",
    )
    parser.add_argument(
        "--amqp",
        default=os.environ.get("BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672"),
        help="RabbitMQ AMQP address without vhost",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES", "postgresql+psycopg2://postgres:postgres@127.0.0.1:5432"),
        help="PostgreSQL server (a user allowed to create databases)",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS") or None,
        help="Redis for the gateway's rate-limit counters, e.g. redis://127.0.0.1:6379/0 (default: in memory)",
    )
    parser.add_argument("--output", default=str(RESULTS_DIR / "latest.json"), help="where to write the JSON too")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or args.users < 1 or args.max_requests < 1:
        parser.error("--clients, --seconds, --users and --max-requests must be positive")
    return args


class Bench:
    def __init__(self, args):
        self.args = args
        self.run_id = secrets.token_hex(4)
        self.vhost = RabbitVhost(args.rabbit_api, args.amqp, f"bench_{self.run_id}")
        self.databases = Databases(args.postgres, [f"bench_auth_{self.run_id}", f"bench_users_{self.run_id}"])
        self.gateway_port = free_port()
        self.bare_port = free_port()
        self.processes = {}
        self.killed = []
        self.cleanup_problems = []
        self.stop = threading.Event()

    # -- infrastructure ----------------------------------------------------------

    def provision(self):
        from common.migrations import upgrade

        say(f"run {self.run_id}: vhost {self.vhost.name}, databases {', '.join(self.databases.names)}")
        self.vhost.create()
        self.databases.create()
        auth_db, users_db = self.databases.names
        upgrade("auth", self.databases.url(auth_db))
        upgrade("users", self.databases.url(users_db))

    def environment(self, port):
        auth_db, users_db = self.databases.names
        redis = {"REDIS_URL": ""}  # counters in the gateway's memory unless --redis
        if self.args.redis:
            # Keys of its own; they expire with their window, so nothing is left to clean up.
            redis = {"REDIS_URL": self.args.redis, "GATEWAY_RATE_LIMIT_PREFIX": f"lnd-rl-bench-{self.run_id}-"}
        return {
            **os.environ,
            "AMQP_URI": self.vhost.amqp_uri,
            "AUTH_DB_URI": self.databases.url(auth_db),
            "USERS_DB_URI": self.databases.url(users_db),
            "MONGO_URI": f"mongomock://bench_{self.run_id}",
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
            "GATEWAY_CLIENT_IP_HEADER": load.CLIENT_ADDRESS_HEADER,
            "PYTHONUNBUFFERED": "1",
            "PYTHONWARNINGS": "ignore::DeprecationWarning,ignore::UserWarning",
            **redis,
        }

    def start_services(self):
        services = REQUIRED_SERVICES + (OTHER_SERVICES if self.args.all_services else ())
        logs = RESULTS_DIR / "logs"
        for name in services:
            self.processes[name] = ServiceProcess(
                name, SERVICE_CLASSES[name], self.environment(self.gateway_port), logs / f"{name}.log"
            )
        if not self.args.skip_bare:
            self.processes["bare"] = ServiceProcess(
                "bare",
                "bench.bare:BareService",
                self.environment(self.bare_port),
                logs / "bare.log",
                stop_signal=signal.SIGINT,
            )
        for process in self.processes.values():
            process.start()
        say(f"started {', '.join(f'{name} (pid {p.pid})' for name, p in self.processes.items())}; logs in {logs}")
        platform_processes = [p for name, p in self.processes.items() if name != "bare"]
        rpc_queues = [f"rpc-{name}" for name in self.processes if name not in ("gateway", "bare")]
        wait_for_queues(self.vhost, rpc_queues, platform_processes, timeout=120)
        wait_for_health(self.gateway_url, HEALTH_PATHS, platform_processes, timeout=120)
        if not self.args.skip_bare:
            wait_for_health(self.bare_url, ["/ping"], [self.processes["bare"]], timeout=60)
        say("all services answer their health checks")

    def teardown(self):
        self.stop.set()
        # The front first: once the gateway has finished its requests, nothing is in flight between
        # the services, so none of them waits on an RPC to one that has already stopped consuming.
        front = {name: p for name, p in self.processes.items() if name in ("gateway", "bare")}
        back = {name: p for name, p in self.processes.items() if name not in front}
        for wave in (front, back):
            for name, process in wave.items():
                try:
                    process.request_stop()
                except Exception as error:
                    self.cleanup_problems.append(f"stopping {name}: {error!r}")
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            for name, process in wave.items():
                try:
                    if process.wait_or_kill(deadline - time.monotonic()):
                        self.killed.append(name)
                        say(f"{name} did not stop within {STOP_GRACE_SECONDS}s: killed")
                except Exception as error:
                    self.cleanup_problems.append(f"stopping {name}: {error!r}")
        try:
            self.vhost.delete()
        except Exception as error:
            self.cleanup_problems.append(f"vhost {self.vhost.name}: {error!r}")
        try:
            self.databases.drop()
        except Exception as error:
            self.cleanup_problems.append(f"databases {self.databases.created}: {error!r}")
        for problem in self.cleanup_problems:
            say(f"cleanup problem: {problem}")
        if not self.cleanup_problems:
            say("cleaned up: processes stopped, vhost deleted, databases dropped")

    @property
    def gateway_url(self):
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def bare_url(self):
        return f"http://127.0.0.1:{self.bare_port}"

    # -- accounts ----------------------------------------------------------------

    def seed_accounts(self):
        from nameko.standalone.rpc import ClusterRpcProxy

        accounts = [
            load.Account(f"bench{index:04d}@example.com", f"bench-password-{index:04d}", load.client_address(index))
            for index in range(self.args.users)
        ]
        started = time.monotonic()
        config = {"AMQP_URI": self.vhost.amqp_uri, "serializer": "json"}
        with ClusterRpcProxy(config, timeout=120) as rpc:
            # In batches: each creation hashes a password, and the users service has max_workers.
            for first in range(0, len(accounts), 16):
                replies = [
                    rpc.users.create_user.call_async(
                        email=account.email,
                        name=f"Bench User {first + offset:04d}",
                        password=account.password,
                        roles=["learner"],
                    )
                    for offset, account in enumerate(accounts[first : first + 16])
                ]
                for reply in replies:
                    reply.result()
        say(f"seeded {len(accounts)} users over RPC in {time.monotonic() - started:.1f}s")

        started = time.monotonic()

        def log_in(account):
            response = requests.post(
                f"{self.gateway_url}/auth/login",
                json={"identifier": account.email, "password": account.password},
                headers={load.CLIENT_ADDRESS_HEADER: account.address},
                timeout=self.args.timeout,
            )
            response.raise_for_status()
            account.token = response.json()["data"]["access_token"]

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(log_in, accounts))
        say(f"logged in {len(accounts)} users in {time.monotonic() - started:.1f}s")
        return accounts

    # -- measuring ---------------------------------------------------------------

    def cpu_snapshot(self, names):
        services = {name: self.processes[name].cpu_seconds() for name in names}
        return services, infrastructure_cpu_seconds(), machine_cpu_times()

    def measure(self, label, port, workload, process_names):
        args = self.args
        options = {"max_requests_per_client": args.max_requests, "timeout": args.timeout, "stop": self.stop}
        if args.warmup > 0:
            say(f"{label}: warming up for {args.warmup:g}s")
            load.drive("127.0.0.1", port, workload, args.clients, args.warmup, seed=1, **options)
        say(f"{label}: {args.clients} clients for {args.seconds:g}s")
        before, infrastructure_before, machine_before = self.cpu_snapshot(process_names)
        run = load.drive("127.0.0.1", port, workload, args.clients, args.seconds, seed=2, **options)
        after, infrastructure_after, machine_after = self.cpu_snapshot(process_names)
        summary = load.summarize(run, workload.operations)
        summary["server_cpu"] = server_cpu(before, after, run.elapsed, len(run.samples))
        # All RabbitMQ and PostgreSQL processes on the machine, whoever they serve.
        used = infrastructure_cpu_used(infrastructure_before, infrastructure_after)
        summary["infrastructure_cpu"] = server_cpu(dict.fromkeys(used, 0.0), used, run.elapsed, len(run.samples))
        if machine_before and machine_after:
            busy, total = (end - start for start, end in zip(machine_before, machine_after, strict=True))
            # Everything on the machine: our services, the clients, RabbitMQ, PostgreSQL, anything else.
            summary["machine_cpu_busy"] = round(busy / total, 3) if total else None
        overall = summary["overall"]
        say(
            f"{label}: {overall['requests']} requests, {overall['errors']} errors, "
            f"{overall['requests_per_second']}/s, p50 {overall['p50_ms']} ms, p99 {overall['p99_ms']} ms"
        )
        return summary

    def run(self):
        self.provision()
        self.start_services()
        accounts = self.seed_accounts()
        platform_names = [name for name in self.processes if name != "bare"]
        results = {
            "platform": self.measure(
                "platform", self.gateway_port, load.PlatformMix(accounts, self.args.mix), platform_names
            )
        }
        if not self.args.skip_bare:
            bare = self.measure("bare", self.bare_port, load.BarePing(), ["bare"])
            results["bare"] = {**bare.pop("overall"), **{k: v for k, v in bare.items() if k != "operations"}}
        results["server_logs"] = {name: process.log_summary() for name, process in self.processes.items()}
        return results


def server_cpu(before, after, elapsed, requests_done):
    report = {}
    for name, start in before.items():
        end = after.get(name)
        if start is None or end is None:
            continue
        used = end - start
        report[name] = {
            "cpu_seconds": round(used, 2),
            "cpu_share": round(used / elapsed, 3) if elapsed > 0 else None,
            "cpu_ms_per_request": round(used * 1000 / requests_done, 3) if requests_done else None,
        }
    return report


def parameters(args):
    from common.config import load_config

    config = load_config()
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "users": args.users,
        "mix": args.mix,
        "cpu_count": os.cpu_count(),
        "services": list(REQUIRED_SERVICES + (OTHER_SERVICES if args.all_services else ())),
        "max_requests_per_client": args.max_requests,
        "request_timeout_seconds": args.timeout,
        "max_workers": config.get("max_workers"),
        "rate_limit_store": "redis" if args.redis else "memory",
        "password_hash": config.get("PASSWORD_HASH"),
        "python": platform_module.python_version(),
        "nameko": metadata.version("nameko"),
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def main(argv=None):
    args = parse_args(argv)
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    def terminated(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    report = {"parameters": parameters(args)}
    bench = Bench(args)
    try:
        report.update(bench.run())
    except Exception as error:
        say(f"failed: {error}")
        for name, process in bench.processes.items():
            if process.exited() or isinstance(error, RuntimeError):
                say(f"--- last lines of {name}'s log ---\n{process.log_tail(15)}")
        raise
    finally:
        bench.teardown()
    report["cleanup"] = {"killed": bench.killed, "problems": bench.cleanup_problems}
    platform_rps = report["platform"]["overall"]["requests_per_second"]
    bare_rps = (report.get("bare") or {}).get("requests_per_second")
    report["platform_to_bare_ratio"] = round(platform_rps / bare_rps, 3) if bare_rps else None
    document = json.dumps(report, indent=2)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as stream:
        stream.write(document + "\n")
    print(document, flush=True)
    say(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
