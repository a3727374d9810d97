"""The ``rpc`` entrypoint every service uses, and calls to other services that cannot wait forever.

Domain errors are expected: Nameko logs them as warnings, not tracebacks.
Nameko's own RPC proxy waits for a reply as long as it takes; a service that
is down or stuck would then hold the caller's worker (and its HTTP request,
and a graceful shutdown) for good. ``RpcProxy`` here gives up after
``SERVICE_RPC_TIMEOUT`` seconds with a 503 that names the service.
"""

import eventlet
from nameko import rpc as nameko_rpc
from nameko.exceptions import UnknownService

from common.exceptions import DomainError, ServiceUnavailable

DEFAULT_TIMEOUT = 8.0


def rpc(fn=None, **options):
    options.setdefault("expected_exceptions", (DomainError,))
    if fn is None:
        return nameko_rpc.rpc(**options)
    return nameko_rpc.rpc(**options)(fn)


def call_within(method, service, timeout, *args, **kwargs):
    """``method(*args, **kwargs)`` on a Nameko method proxy, or ``ServiceUnavailable`` naming ``service``."""
    timer = eventlet.Timeout(timeout)
    try:
        return method.call_async(*args, **kwargs).result()
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        raise ServiceUnavailable(f"The {service} service did not answer in time", {"service": service}) from None
    except UnknownService:
        raise ServiceUnavailable(f"The {service} service is not running", {"service": service}) from None
    finally:
        timer.cancel()


class RpcProxy(nameko_rpc.RpcProxy):
    """Nameko's ``RpcProxy`` whose calls are bounded by ``SERVICE_RPC_TIMEOUT`` (config.yaml)."""

    def setup(self):
        super().setup()
        self.timeout = float(self.container.config.get("SERVICE_RPC_TIMEOUT") or DEFAULT_TIMEOUT)

    def get_dependency(self, worker_ctx):
        return BoundedServiceProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout)


class BoundedServiceProxy:
    def __init__(self, proxy, service, timeout):
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, name):
        return BoundedMethodProxy(getattr(self._proxy, name), self._service, self._timeout)


class BoundedMethodProxy:
    def __init__(self, method, service, timeout):
        self._method = method
        self._service = service
        self._timeout = timeout

    def __call__(self, *args, **kwargs):
        return call_within(self._method, self._service, self._timeout, *args, **kwargs)
