"""The ``rpc`` entrypoint every service uses, and calls to other services that cannot wait forever.

Every call has a deadline: the moment its caller stops waiting. The request
message expires then (AMQP ``expiration``), and the deadline travels in
context data, so a request its caller has given up on is never started: the
broker drops it from the queue, and a service that takes it too late drops it
unstarted. A service calling another passes on what is left of its own
deadline, never more.

Domain errors are expected: Nameko logs them as warnings, not tracebacks. A
database or broker that cannot be reached is a 503 naming the service, not a
500: the client may retry.
"""

import logging
import time

import amqp.exceptions
import eventlet
import pymongo.errors
import sqlalchemy.exc
from kombu.exceptions import OperationalError as BrokerError
from nameko import rpc as nameko_rpc
from nameko.exceptions import UnknownService, deserialize_to_instance

from common.exceptions import DomainError, ServiceUnavailable

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 8.0
# Context data key: seconds since the epoch after which the caller no longer waits for the answer.
DEADLINE_KEY = "deadline"

DATABASE_ERRORS = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
    pymongo.errors.ConnectionFailure,  # ServerSelectionTimeoutError, AutoReconnect, NetworkTimeout
)
BROKER_ERRORS = (BrokerError, amqp.exceptions.ConnectionError)


@deserialize_to_instance
class DeadlinePassed(ServiceUnavailable):
    """The answer to a request that was dropped unstarted: its caller had already given up."""


def _as_deadline(value):
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def deadline_of(worker_ctx):
    """The deadline this worker answers by: its caller's, when it serves an RPC call; None otherwise.

    An event handler's context data may hold the deadline of the request that
    raised the event, long past: it does not bind the handler."""
    if not isinstance(worker_ctx.entrypoint, nameko_rpc.Rpc):
        return None
    return _as_deadline(worker_ctx.data.get(DEADLINE_KEY))


class Rpc(nameko_rpc.Rpc):
    """Nameko's entrypoint, which drops requests whose deadline has passed and names infrastructure faults."""

    def handle_message(self, body, message):
        deadline = _as_deadline(self.unpack_message_headers(message).get(DEADLINE_KEY))
        late = time.time() - deadline if deadline is not None else 0
        if late > 0:
            service = self.container.service_name
            log.warning("%s.%s dropped unstarted: its caller gave up %.3f s ago", service, self.method_name, late)
            error = DeadlinePassed(f"The caller of {service}.{self.method_name} had given up", {"service": service})
            # The caller is gone; the answer is for anyone still listening (a gateway settling an idempotent write).
            self.rpc_consumer.handle_result(message, None, (DeadlinePassed, error, None))
            return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], DATABASE_ERRORS + BROKER_ERRORS):
            service = self.container.service_name
            what = "its database" if isinstance(exc_info[1], DATABASE_ERRORS) else "the message broker"
            error = ServiceUnavailable(f"The {service} service cannot reach {what}", {"service": service})
            exc_info = (ServiceUnavailable, error, exc_info[2])
        return super().handle_result(message, worker_ctx, result, exc_info)


def rpc(fn=None, **options):
    options.setdefault("expected_exceptions", (DomainError,))
    if fn is None:
        return Rpc.decorator(**options)
    return Rpc.decorator(**options)(fn)


def call_within(method, service, timeout, args=(), kwargs=None, on_timeout=None):
    """``method(*args, **kwargs)`` on a Nameko method proxy, or ``ServiceUnavailable`` naming ``service``.

    ``on_timeout(reply)``, if given, receives the pending reply of a call given up on: the
    request may have started in time and still answer (the gateway's idempotency waits for it)."""
    timer = eventlet.Timeout(timeout)
    reply = None
    try:
        reply = method.call_async(*args, **(kwargs or {}))
        return reply.result()
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        if on_timeout is not None and reply is not None:
            on_timeout(reply)
        raise ServiceUnavailable(f"The {service} service did not answer in time", {"service": service}) from None
    except UnknownService:
        raise ServiceUnavailable(f"The {service} service is not running", {"service": service}) from None
    finally:
        timer.cancel()


class DeadlineMethodProxy(nameko_rpc.MethodProxy):
    """One call's proxy: its message expires at ``deadline`` and carries it in context data."""

    def __init__(self, worker_ctx, service_name, method_name, reply_listener, deadline, **options):
        self.deadline = deadline
        # Kombu turns seconds into the AMQP per-message TTL (whole milliseconds).
        options["expiration"] = max(deadline - time.time(), 0.001)
        super().__init__(worker_ctx, service_name, method_name, reply_listener, **options)

    def get_message_headers(self, worker_ctx):
        headers = super().get_message_headers(worker_ctx)
        headers[self._get_header_name(DEADLINE_KEY)] = self.deadline
        return headers


class RpcProxy(nameko_rpc.RpcProxy):
    """Nameko's ``RpcProxy`` whose calls end by a deadline: ``SERVICE_RPC_TIMEOUT`` (config.yaml) from now, or
    the caller's own deadline if that comes first."""

    def setup(self):
        super().setup()
        self.timeout = float(self.container.config.get("SERVICE_RPC_TIMEOUT") or DEFAULT_TIMEOUT)

    def get_dependency(self, worker_ctx):
        return DeadlineServiceProxy(
            worker_ctx, self.target_service, self.rpc_reply_listener, self.timeout, self.options
        )


class DeadlineServiceProxy:
    def __init__(self, worker_ctx, service, reply_listener, timeout, options):
        self._worker_ctx = worker_ctx
        self._service = service
        self._reply_listener = reply_listener
        self._timeout = timeout
        self._options = options

    def __getattr__(self, name):
        return BoundedMethodProxy(self, name)

    def call_method(self, method, kwargs=None, timeout=None, on_timeout=None, args=()):
        """``method(*args, **kwargs)`` on the service, given up after ``timeout`` seconds (or the default).

        ``proxy.name(...)`` calls this for any ``name`` but this one."""
        now = time.time()
        deadline = now + (timeout or self._timeout)
        inherited = deadline_of(self._worker_ctx)
        if inherited is not None:
            deadline = min(deadline, inherited)
        if deadline <= now:
            raise ServiceUnavailable(
                f"No time was left to call the {self._service} service", {"service": self._service}
            )
        proxy = DeadlineMethodProxy(
            self._worker_ctx, self._service, method, self._reply_listener, deadline, **self._options
        )
        return call_within(proxy, self._service, deadline - now, args, kwargs, on_timeout)


class BoundedMethodProxy:
    def __init__(self, service_proxy, method):
        self._service_proxy = service_proxy
        self._method = method

    def __call__(self, *args, **kwargs):
        return self._service_proxy.call_method(self._method, kwargs, args=args)
