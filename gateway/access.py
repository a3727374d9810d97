"""Every HTTP request seen: one access-log line and the request metrics (count, latency, in flight).

The route is the table's template (``/training/courses/<course_id>``), never the raw path, so that metric
labels stay few and no identifier lands in them.
"""

import logging
import time

from common.metrics import HTTP_IN_FLIGHT, HTTP_REQUESTS, HTTP_SECONDS
from common.tracing import rename_current_span

ROUTE_KEY = "lnd.route"
# Set on a request a worker runs again in the background to renew its cached answer (gateway/hot_reads.py).
RENEWAL_KEY = "lnd.renewal"
UNMATCHED = "unmatched"

access_log = logging.getLogger("gateway.access")


def mark_route(request, route):
    request.environ[ROUTE_KEY] = route.path
    rename_current_span(f"{request.method} {route.path}")


def observed(request, serve):
    """``serve(request)``, counted, timed and written to the access log."""
    started = time.perf_counter()
    HTTP_IN_FLIGHT.inc()
    try:
        response = serve(request)
    finally:
        HTTP_IN_FLIGHT.dec()
    if RENEWAL_KEY in request.environ:
        return response  # not a request anyone sent: the one that was is counted and logged
    return recorded(request, response, started)


def recorded(request, response, started):
    """Count, time and log an answered request (``started``: its ``time.perf_counter()``)."""
    seconds = time.perf_counter() - started
    route = request.environ.get(ROUTE_KEY, UNMATCHED)
    HTTP_REQUESTS.labels(request.method, route, str(response.status_code)).inc()
    HTTP_SECONDS.labels(request.method, route).observe(seconds)
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
