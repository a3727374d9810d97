"""Prometheus metrics (prometheus-client): every worker of every service is counted and timed.

``WorkerMetrics`` (a dependency every service has) counts each RPC, event handler and timer run by outcome
and observes its duration. ``METRICS_PORT`` (config.yaml) serves the process's metrics on that port for
Prometheus (each service container its own; 0 turns it off); the gateway also answers ``GET /metrics``
with its process's metrics, which in embedded mode are every service's.
"""

import logging
import time

import prometheus_client
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer

from common.exceptions import DomainError

log = logging.getLogger(__name__)

WORKERS = prometheus_client.Counter(
    "lnd_worker_total",
    "Workers run, by service, entrypoint, kind and outcome",
    ["service", "entrypoint", "kind", "outcome"],
)
WORKER_SECONDS = prometheus_client.Histogram(
    "lnd_worker_seconds", "Time a worker took, by service, entrypoint and kind", ["service", "entrypoint", "kind"]
)
DOMAIN_EVENTS = prometheus_client.Counter(
    "lnd_domain_events_total",
    "Domain events published, by service and type (registrations, logins, ...)",
    ["service", "event_type"],
)

# The gateway's, by route template (gateway/access.py).
HTTP_REQUESTS = prometheus_client.Counter(
    "lnd_http_requests_total", "HTTP requests, by method, route template and status", ["method", "route", "status"]
)
HTTP_SECONDS = prometheus_client.Histogram(
    "lnd_http_request_seconds",
    "HTTP request latency, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HTTP_IN_FLIGHT = prometheus_client.Gauge("lnd_http_requests_in_flight", "HTTP requests being answered")

_exposed_ports = set()


def kind_of(entrypoint):
    for kind, cls in (("rpc", Rpc), ("event", EventHandler), ("timer", Timer)):
        if isinstance(entrypoint, cls):
            return kind
    return "http"


def outcome_of(exc_info):
    if exc_info is None:
        return "ok"
    return "domain_error" if isinstance(exc_info[1], DomainError) else "error"


def expose(port):
    """Serve this process's metrics on ``port`` once (services of one process share it)."""
    if port and port not in _exposed_ports:
        prometheus_client.start_http_server(port, addr="0.0.0.0")  # noqa: S104 -- a scrape target, by design
        _exposed_ports.add(port)
        log.info("metrics on :%s/metrics", port)


class WorkerMetrics(DependencyProvider):
    def setup(self):
        self.port = int(self.container.config.get("METRICS_PORT") or 0)
        self.started = {}

    def start(self):
        expose(self.port)

    def worker_setup(self, worker_ctx):
        self.started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        started = self.started.pop(worker_ctx, None)
        labels = (worker_ctx.service_name, worker_ctx.entrypoint.method_name, kind_of(worker_ctx.entrypoint))
        WORKERS.labels(*labels, outcome_of(exc_info)).inc()
        if started is not None:
            WORKER_SECONDS.labels(*labels).observe(time.perf_counter() - started)

    def worker_teardown(self, worker_ctx):
        self.started.pop(worker_ctx, None)


def exposition():
    """``(body, content type)`` of this process's metrics in Prometheus text format."""
    return prometheus_client.generate_latest(), prometheus_client.CONTENT_TYPE_LATEST
