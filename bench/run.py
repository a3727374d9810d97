"""The load benchmark: the platform on real RabbitMQ and PostgreSQL, every figure a share of a bare endpoint.

``python -m bench.run [--connections 16] [--seconds 10]`` (or ``make bench``):

1. makes a throwaway RabbitMQ vhost and fresh PostgreSQL databases (migrated);
2. starts gateway, auth, users, training and events (``--all-services``: every service) and the bare
   endpoint of ``bench/bare.py``, each its own ``nameko run`` process;
3. seeds benchmark users, one instructor's published courses and events over RPC, and logs each user in;
4. drives each target of ``bench/targets.py`` with wrk, one after the other (the bare endpoint first);
5. prints a markdown table and one JSON document, and keeps both in bench/results/<date>-<run>.{json,md};
6. stops the processes, deletes the vhost and drops the databases, whatever happened.

Progress goes to stderr.
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

from bench import targets as target_list
from bench import wrk
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
from common.services import SERVICE_CLASSES  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
REQUIRED_SERVICES = ("gateway", "auth", "users", "training", "events")
OTHER_SERVICES = ("coaching", "notifications", "engagement")
SQL_DATABASES = ("auth", "users", "events", "coaching")
HEALTH_PATHS = ("/health", "/auth/health", "/users/health", "/training/health", "/events/health")
STOP_GRACE_SECONDS = 20
SEED_BATCH = 4
ERROR_KINDS = ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")


warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def say(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", "--clients", type=int, default=16, help="concurrent connections (default 16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per target (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each target (default 2)")
    parser.add_argument("--users", type=int, default=50, help="benchmark users to seed (default 50)")
    parser.add_argument("--courses", type=int, default=40, help="published courses to seed (default 40)")
    parser.add_argument("--events", type=int, default=10, help="events to seed (default 10)")
    parser.add_argument("--only", help="comma-separated targets to measure (default: all; bare and one_hop always)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before one request counts as failed")
    parser.add_argument("--all-services", action="store_true", help="also start training, coaching, events, ...")
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
        help="Redis for the gateway's stores (cache, rate limits...), e.g. redis://127.0.0.1:6379/0 (default: memory)",
    )
    parser.add_argument("--output", default=str(RESULTS_DIR / "latest.json"), help="where to write the JSON too")
    parser.add_argument("--no-keep", action="store_true", help="do not keep this run in bench/results/")
    args = parser.parse_args(argv)
    if min(args.connections, args.threads, args.users, args.courses, args.events) < 1 or args.seconds <= 0:
        parser.error("--connections, --threads, --seconds, --users, --courses and --events must be positive")
    return args


class Bench:
    def __init__(self, args):
        self.args = args
        self.run_id = secrets.token_hex(4)
        self.vhost = RabbitVhost(args.rabbit_api, args.amqp, f"bench_{self.run_id}")
        self.databases = Databases(args.postgres, [f"bench_{name}_{self.run_id}" for name in SQL_DATABASES])
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
        for service, name in zip(SQL_DATABASES, self.databases.names, strict=True):
            upgrade(service, self.databases.url(name))

    def environment(self, port):
        redis = {"REDIS_URL": ""}  # the gateway's stores in its memory unless --redis
        if self.args.redis:
            # Keys of its own; they expire, so nothing is left to clean up.
            prefix = f"lnd-bench-{self.run_id}-"
            redis = {
                "REDIS_URL": self.args.redis,
                "GATEWAY_RATE_LIMIT_PREFIX": f"{prefix}rl-",
                "GATEWAY_CACHE_PREFIX": f"{prefix}cache-",
                "GATEWAY_IDEMPOTENCY_PREFIX": f"{prefix}idem-",
                "GATEWAY_REVOCATION_PREFIX": f"{prefix}rev-",
            }
        databases = {
            f"{service.upper()}_DB_URI": self.databases.url(name)
            for service, name in zip(SQL_DATABASES, self.databases.names, strict=True)
        }
        return {
            **os.environ,
            "AMQP_URI": self.vhost.amqp_uri,
            **databases,
            "MONGO_URI": f"mongomock://bench_{self.run_id}",
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "LOG_LEVEL": "WARNING",
            "GATEWAY_CLIENT_IP_HEADER": target_list.CLIENT_ADDRESS_HEADER,
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

    # -- what is read and written -------------------------------------------------

    def seed(self):
        """``(accounts, course ids)``: learners logged in, published courses, events (over RPC, as operators)."""
        from nameko.standalone.rpc import ClusterRpcProxy

        accounts = [
            target_list.Account(
                f"bench{index:04d}@example.com", f"bench-password-{index:04d}", target_list.client_address(index)
            )
            for index in range(self.args.users)
        ]
        started = time.monotonic()
        config = {"AMQP_URI": self.vhost.amqp_uri, "serializer": "json"}
        with ClusterRpcProxy(config, timeout=120) as rpc:
            # In small batches: each creation has auth hash a password (0.2 s of CPU at production cost) within
            # the users service's deadline on its call to auth; a busy machine makes a big batch miss it.
            for first in range(0, len(accounts), SEED_BATCH):
                replies = [
                    rpc.users.create_user.call_async(
                        email=account.email,
                        name=f"Bench User {first + offset:04d}",
                        password=account.password,
                        roles=["learner"],
                    )
                    for offset, account in enumerate(accounts[first : first + SEED_BATCH])
                ]
                for account, reply in zip(accounts[first : first + SEED_BATCH], replies, strict=True):
                    account.user_id = reply.result()["id"]
            instructor = rpc.users.create_user(
                email="bench-instructor@example.com",
                name="Bench Instructor",
                password="bench-password-i",
                roles=["instructor"],
            )
        say(f"seeded {len(accounts)} users over RPC in {time.monotonic() - started:.1f}s")
        started = time.monotonic()
        # Acting for the instructor, as the gateway would pass them to training and events.
        context = {"user_id": instructor["id"], "roles": "instructor"}
        with ClusterRpcProxy(config, timeout=120, context_data=context) as rpc:
            course_ids = []
            for index in range(self.args.courses):
                course = rpc.training.create_course(
                    title=f"Bench course {index:03d}",
                    description="A course of the benchmark",
                    tags=["bench"],
                    modules=[{"title": "Basics", "lessons": [{"title": "Welcome", "content": "Hello"}]}],
                )
                rpc.training.publish_course(course["id"])
                course_ids.append(course["id"])
            starts = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=7)
            for index in range(self.args.events):
                begin = starts + datetime.timedelta(days=index)
                rpc.events.create_event(
                    title=f"Bench event {index:03d}",
                    kind="online",
                    join_url="https://meet.example.com/bench",
                    timezone="UTC",
                    starts_at=begin.isoformat(),
                    ends_at=(begin + datetime.timedelta(hours=1)).isoformat(),
                    capacity=1000,
                )
        seconds = time.monotonic() - started
        say(f"seeded {len(course_ids)} published courses and {self.args.events} events in {seconds:.1f}s")

        started = time.monotonic()

        def log_in(account):
            response = requests.post(
                f"{self.gateway_url}/auth/login",
                json={"identifier": account.email, "password": account.password},
                headers={target_list.CLIENT_ADDRESS_HEADER: account.address},
                timeout=self.args.timeout,
            )
            response.raise_for_status()
            account.token = response.json()["data"]["access_token"]

        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(log_in, accounts))
        say(f"logged in {len(accounts)} users in {time.monotonic() - started:.1f}s")
        return accounts, course_ids

    # -- measuring ---------------------------------------------------------------

    def cpu_snapshot(self, names):
        services = {name: self.processes[name].cpu_seconds() for name in names}
        return services, infrastructure_cpu_seconds(), machine_cpu_times()

    def measure(self, target):
        args = self.args
        url = self.bare_url if target.server == "bare" else self.gateway_url
        names = ["bare"] if target.server == "bare" else [name for name in self.processes if name != "bare"]
        options = {"connections": args.connections, "threads": args.threads, "order": target.order}
        if args.warmup > 0:
            wrk.run(url, target.requests, args.warmup, timeout=args.timeout, **options)
        before, infrastructure_before, machine_before = self.cpu_snapshot(names)
        figures = wrk.run(url, target.requests, args.seconds, timeout=args.timeout, **options)
        after, infrastructure_after, machine_after = self.cpu_snapshot(names)
        elapsed = figures["duration_us"] / 1e6
        errors = sum(
            figures[kind] for kind in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
        )
        summary = {
            "label": target.label,
            "server": target.server,
            "requests": figures["requests"],
            "errors": errors,
            "requests_per_second": round(figures["requests"] / elapsed, 1) if elapsed else 0,
            **{f"p{pct}_ms": round(figures[f"p{pct}_us"] / 1000, 2) for pct in (50, 90, 99)},
            "max_ms": round(figures["max_us"] / 1000, 2),
            "statuses": figures["statuses"],
            "x_cache": figures["x_cache"],
            "server_cpu": server_cpu(before, after, elapsed, figures["requests"]),
            "wrk_cpu_share": round(figures["wrk_cpu_seconds"] / elapsed, 3) if elapsed else None,
        }
        # All RabbitMQ and PostgreSQL processes on the machine, whoever they serve.
        used = infrastructure_cpu_used(infrastructure_before, infrastructure_after)
        summary["infrastructure_cpu"] = server_cpu(dict.fromkeys(used, 0.0), used, elapsed, figures["requests"])
        if machine_before and machine_after:
            busy, total = (end - start for start, end in zip(machine_before, machine_after, strict=True))
            # Everything on the machine: our services, wrk, RabbitMQ, PostgreSQL, anything else.
            summary["machine_cpu_busy"] = round(busy / total, 3) if total else None
        say(
            f"{target.name}: {summary['requests_per_second']}/s, p50 {summary['p50_ms']} ms, "
            f"p99 {summary['p99_ms']} ms, {errors} errors, statuses {figures['statuses']}, cache {figures['x_cache']}"
        )
        return summary

    def run(self):
        self.provision()
        self.start_services()
        accounts, course_ids = self.seed()
        chosen = set((self.args.only or "").split(",")) - {""}
        results = {}
        for target in target_list.targets(accounts, course_ids):
            if chosen and target.name not in chosen | {"bare", "one_hop"}:
                continue
            say(f"{target.name}: {self.args.connections} connections for {self.args.seconds:g}s")
            results[target.name] = self.measure(target)
        return {"targets": results, "server_logs": {name: p.log_summary() for name, p in self.processes.items()}}


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
        "connections": args.connections,
        "wrk_threads": args.threads,
        "seconds": args.seconds,
        "warmup_seconds": args.warmup,
        "users": args.users,
        "courses": args.courses,
        "events": args.events,
        "mix": target_list.MIX,
        "cpu_count": os.cpu_count(),
        "services": list(REQUIRED_SERVICES + (OTHER_SERVICES if args.all_services else ())),
        "request_timeout_seconds": args.timeout,
        "max_workers": config.get("max_workers"),
        "gateway_store": "redis" if args.redis else "memory",
        "cache_ttl_seconds": os.environ.get("GATEWAY_CACHE_TTL_SECONDS", "1"),
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
    report["goals"] = target_list.check(report["targets"])
    markdown = target_list.table(report["targets"], report["goals"])
    document = json.dumps(report, indent=2)
    paths = [args.output]
    if not args.no_keep:
        stamp = report["parameters"]["started_at"].replace(":", "").replace("-", "")
        kept = RESULTS_DIR / f"{stamp}-{bench.run_id}"
        paths.append(f"{kept}.json")
        with open(f"{kept}.md", "w") as stream:
            stream.write(f"# Benchmark run {bench.run_id}, {report['parameters']['started_at']}\n\n")
            stream.write(f"{args.connections} connections, {args.seconds:g} s per target (wrk). ")
            stream.write(f"Parameters in {kept.name}.json.\n\n{markdown}\n")
    for path in paths:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as stream:
            stream.write(document + "\n")
    print(markdown, flush=True)
    say(f"written to {', '.join(str(path) for path in paths)}")
    met = sum(verdict["met"] for verdict in report["goals"].values())
    say(f"goals met: {met} of {len(report['goals'])} (bench/README.md says what bounds the others)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
