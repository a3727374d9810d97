"""Every HTTP request seen: one access-log line and the request metrics (count, latency, in flight).

The route is the table's template (``/training/courses/<course_id>``), never the raw path, so that metric
labels stay few and no identifier lands in them.
"""

import logging
import time

import prometheus_client

from common.tracing import rename_current_span

ROUTE_KEY = "lnd.route"
UNMATCHED = "unmatched"

access_log = logging.getLogger("gateway.access")

REQUESTS = prometheus_client.Counter(
    "lnd_http_requests_total", "HTTP requests, by method, route template and status", ["method", "route", "status"]
)
SECONDS = prometheus_client.Histogram(
    "lnd_http_request_seconds",
    "HTTP request latency, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = prometheus_client.Gauge("lnd_http_requests_in_flight", "HTTP requests being answered")


def mark_route(request, route):
    request.environ[ROUTE_KEY] = route.path
    rename_current_span(f"{request.method} {route.path}")


def observed(request, serve):
    """``serve(request)``, counted, timed and written to the access log."""
    started = time.perf_counter()
    IN_FLIGHT.inc()
    try:
        response = serve(request)
    finally:
        IN_FLIGHT.dec()
    seconds = time.perf_counter() - started
    route = request.environ.get(ROUTE_KEY, UNMATCHED)
    REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    SECONDS.labels(request.method, route).observe(seconds)
    duration_ms = round(seconds * 1000, 1)
    access_log.info(
        "%s %s %s %sms",
        request.method,
        route,
        response.status_code,
        duration_ms,
        extra={"method": request.method, "route": route, "status": response.status_code, "duration_ms": duration_ms},
    )
    return response
