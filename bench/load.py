"""The client harness: concurrent HTTP clients, each a thread with one keep-alive connection.

A workload's ``step(connection, rng)`` makes one request and says which
operation it was and whether it succeeded; ``drive`` runs workloads from many
clients at once, every loop bounded both in time and in request count, and
``summarize`` turns the samples into counts, throughput and latency
percentiles.
"""

import http.client
import json
import math
import random
import threading
import time
from dataclasses import dataclass

PLATFORM_MIX = {"login": 10, "profile_read": 50, "search": 25, "profile_update": 15}
# Not in the default mix; for calibration with --mix: one RPC through the gateway, no store, no token.
EXTRA_OPERATIONS = ("users_health",)
OPERATIONS = (*PLATFORM_MIX, *EXTRA_OPERATIONS)
# The gateway runs as if behind a proxy (GATEWAY_CLIENT_IP_HEADER) and each benchmark user has its own
# address, so the per-client rate limit of the auth routes counts users, not the one benchmark machine.
CLIENT_ADDRESS_HEADER = "X-Forwarded-For"


def client_address(index):
    """An address in 198.18.0.0/15, the range set aside for benchmarks (RFC 2544); only ever a header."""
    return f"198.{18 + index // 65536 % 2}.{index // 256 % 256}.{index % 256}"


class Connection:
    """One HTTP/1.1 keep-alive connection, reopened after any failure or server close."""

    def __init__(self, host, port, timeout):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = None

    def request(self, method, path, body=None, token=None, client_address=None):
        headers = {"Accept": "application/json"}
        if client_address is not None:
            headers[CLIENT_ADDRESS_HEADER] = client_address
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except Exception:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def error_kind(status, data):
    """``"<status> <envelope error code>"`` for an answer that is not a success."""
    try:
        code = json.loads(data)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "?"
    return f"{status} {code}"


@dataclass
class Account:
    email: str
    password: str
    address: str
    token: str = None


class PlatformMix:
    """Through the gateway: login, own profile read, user search, own profile update."""

    def __init__(self, accounts, weights=None):
        self.accounts = list(accounts)
        weights = dict(weights or PLATFORM_MIX)
        self.names = [name for name, weight in weights.items() if weight > 0]
        self.weights = [weights[name] for name in self.names]

    @property
    def operations(self):
        return list(self.names)

    def step(self, connection, rng):
        operation = rng.choices(self.names, self.weights)[0]
        account = rng.choice(self.accounts)
        try:
            status, data = self._perform(operation, account, connection)
        except (OSError, http.client.HTTPException) as error:
            return operation, False, type(error).__name__
        ok = 200 <= status < 300
        return operation, ok, None if ok else error_kind(status, data)

    def _perform(self, operation, account, connection):
        if operation == "login":
            status, data = connection.request(
                "POST",
                "/auth/login",
                {"identifier": account.email, "password": account.password},
                client_address=account.address,
            )
            if status == 200:
                account.token = json.loads(data)["data"]["access_token"]
            return status, data
        if operation == "profile_read":
            return connection.request("GET", "/users/profile", token=account.token, client_address=account.address)
        if operation == "search":
            return connection.request(
                "POST", "/users/search", {"query": "bench"}, token=account.token, client_address=account.address
            )
        if operation == "profile_update":
            bio = f"Benchmarked at {time.time():.6f}"
            return connection.request(
                "PUT", "/users/profile", {"bio": bio}, token=account.token, client_address=account.address
            )
        if operation == "users_health":
            return connection.request("GET", "/users/health", client_address=account.address)
        raise ValueError(f"unknown operation {operation}")


class BarePing:
    """The bare Nameko endpoint: GET /ping."""

    operations = ["ping"]

    def step(self, connection, rng):
        try:
            status, data = connection.request("GET", "/ping")
        except (OSError, http.client.HTTPException) as error:
            return "ping", False, type(error).__name__
        ok = status == 200
        return "ping", ok, None if ok else error_kind(status, data)


@dataclass
class Sample:
    operation: str
    seconds: float
    ok: bool
    kind: str = None


@dataclass
class Run:
    samples: list
    elapsed: float
    client_cpu_seconds: float
    unfinished_clients: int


def drive(host, port, workload, clients, seconds, *, max_requests_per_client, timeout, stop, seed=0):
    """Run ``clients`` threads on ``workload`` for ``seconds`` (or until ``stop`` is set).

    Each client stops by itself at the deadline or after
    ``max_requests_per_client`` requests; a request that hangs ends at the
    socket ``timeout``. The run's elapsed time is from the common start to the
    last client's last answer.
    """
    results = [[] for _ in range(clients)]
    start_line = threading.Barrier(clients + 1)
    timing = {}

    def client(index):
        rng = random.Random(seed * 1000 + index)
        connection = Connection(host, port, timeout)
        samples = results[index]
        start_line.wait()
        deadline = timing["deadline"]
        try:
            while len(samples) < max_requests_per_client and not stop.is_set():
                started = time.perf_counter()
                if started >= deadline:
                    break
                try:
                    operation, ok, kind = workload.step(connection, rng)
                except Exception as error:  # a bug in the workload, not in the server: still counted
                    operation, ok, kind = "unknown", False, type(error).__name__
                samples.append(Sample(operation, time.perf_counter() - started, ok, kind))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    for thread in threads:
        thread.start()
    cpu_before = time.process_time()
    timing["start"] = time.perf_counter()
    timing["deadline"] = timing["start"] + seconds
    start_line.wait()
    join_by = time.monotonic() + seconds + timeout + 10
    for thread in threads:
        thread.join(max(0.0, join_by - time.monotonic()))
    elapsed = time.perf_counter() - timing["start"]
    unfinished = sum(thread.is_alive() for thread in threads)
    if unfinished:
        stop.set()
    samples = [sample for per_client in results for sample in list(per_client)]
    return Run(samples, elapsed, time.process_time() - cpu_before, unfinished)


def percentile(sorted_values, pct):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def stats(samples, elapsed):
    latencies = sorted(sample.seconds * 1000 for sample in samples)
    errors = sum(not sample.ok for sample in samples)

    def ms(value):
        return None if value is None else round(value, 2)

    return {
        "requests": len(samples),
        "errors": errors,
        "requests_per_second": round(len(samples) / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": ms(percentile(latencies, 50)),
        "p90_ms": ms(percentile(latencies, 90)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(latencies[-1] if latencies else None),
    }


def summarize(run, operations):
    """Overall and per-operation figures, plus what went wrong, by kind."""
    by_operation = {name: [] for name in operations}
    error_kinds = {}
    for sample in run.samples:
        by_operation.setdefault(sample.operation, []).append(sample)
        if not sample.ok:
            key = f"{sample.operation}: {sample.kind}"
            error_kinds[key] = error_kinds.get(key, 0) + 1
    return {
        "overall": stats(run.samples, run.elapsed),
        "operations": {name: stats(samples, run.elapsed) for name, samples in by_operation.items()},
        "errors_by_kind": dict(sorted(error_kinds.items(), key=lambda item: -item[1])),
        "elapsed_seconds": round(run.elapsed, 3),
        "client_cpu_seconds": round(run.client_cpu_seconds, 3),
        "unfinished_clients": run.unfinished_clients,
    }
