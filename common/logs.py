"""Log lines that say which request, user and entrypoint wrote them; plain text or one JSON object a line.

``WorkerLogContext`` (a dependency every service has) remembers the running worker in a greenthread-local;
``ContextFilter`` (on the log handler, config.yaml) copies its request id, user id, service and entrypoint
onto every record written by that worker. The request id arrives in context data with every RPC and event,
so the lines of every service that one HTTP request touched share it. ``LOG_FORMAT=json`` picks
``JsonFormatter``. Expected errors (a ``DomainError``: a wrong password, a 404) are the client's mistakes,
not faults: Nameko logs them with a traceback, ``install`` makes them one line.
"""

import json
import logging
import time
import traceback
from datetime import UTC, datetime

from eventlet import corolocal
from nameko.extensions import DependencyProvider

from common.clock import isoformat
from common.context import REQUEST_ID_KEY, USER_ID_KEY
from common.exceptions import DomainError

log = logging.getLogger(__name__)

_current = corolocal.local()

FIELDS = ("service", "request_id", "user_id", "entrypoint")


def current_worker():
    return getattr(_current, "worker_ctx", None)


class WorkerLogContext(DependencyProvider):
    def worker_setup(self, worker_ctx):
        _current.worker_ctx = worker_ctx
        _current.started = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        # At DEBUG, one line per worker: with the request id, the trail of a request through every service.
        log.debug(
            "handled %s in %.1fms%s",
            worker_ctx.entrypoint.method_name,
            (time.perf_counter() - getattr(_current, "started", time.perf_counter())) * 1000,
            "" if exc_info is None else f" ({type(exc_info[1]).__name__})",
        )

    def worker_teardown(self, worker_ctx):
        _current.worker_ctx = None


class ContextFilter(logging.Filter):
    """Adds ``service``, ``request_id``, ``user_id`` and ``entrypoint`` to every record ("-" outside a worker)."""

    def filter(self, record):
        worker_ctx = current_worker()
        if worker_ctx is None:
            values = {}
        else:
            data = worker_ctx.data
            values = {
                "service": worker_ctx.service_name,
                "request_id": data.get(REQUEST_ID_KEY),
                "user_id": data.get(USER_ID_KEY),
                "entrypoint": worker_ctx.entrypoint.method_name,
            }
        for field in FIELDS:
            if not hasattr(record, field):  # a caller's ``extra`` wins
                setattr(record, field, values.get(field) or "-")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, service, logger, message, request_id, user_id, entrypoint."""

    def format(self, record):
        line = {
            "time": isoformat(datetime.fromtimestamp(record.created, UTC)),
            "level": record.levelname,
            "service": getattr(record, "service", "-"),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "user_id": getattr(record, "user_id", "-"),
            "entrypoint": getattr(record, "entrypoint", "-"),
        }
        for extra in ("method", "route", "status", "duration_ms"):  # the gateway's access lines
            if hasattr(record, extra):
                line[extra] = getattr(record, extra)
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, default=str)


CONTAINER_LOGGER = "nameko.containers"


class DomainErrorsInOneLine(logging.Filter):
    def filter(self, record):
        if record.exc_info and isinstance(record.exc_info[1], DomainError):
            record.exc_info = None
            record.exc_text = None
        return True


def install():
    """Idempotent: on Nameko's container logger, which logs every worker's error."""
    logger = logging.getLogger(CONTAINER_LOGGER)
    if not any(isinstance(existing, DomainErrorsInOneLine) for existing in logger.filters):
        logger.addFilter(DomainErrorsInOneLine())
