"""RPC calls from the gateway, bounded by a deadline.

A service that does not answer in time, has no running instance, or whose
circuit breaker is open, is a 503 that names it; an error that is not a
domain error is logged here and shown to the client only as a 500 with no
details. Each call's deadline travels with it (``common/rpc.py``): a request
given up on here is not started later.
"""

import logging
import time

from common.exceptions import DomainError, InternalError

log = logging.getLogger(__name__)


class ServiceCalls:
    def __init__(self, proxies, timeout, request_id=None, guard=None):
        self.proxies = proxies
        self.timeout = timeout
        self.request_id = request_id
        self.guard = guard

    def call(self, service, method, kwargs=None, timeout=None, on_timeout=None):
        """The answer of ``service.method(**kwargs)``; ``on_timeout(reply)`` as in ``common.rpc.call_within``."""
        if self.guard is not None:
            self.guard.admit(service)
        given_up = []

        def timed_out(reply):
            given_up.append(reply)
            if on_timeout is not None:
                on_timeout(reply)

        try:
            return self.proxies[service].call_method(method, kwargs, timeout or self.timeout, timed_out)
        except DomainError:
            raise
        except Exception:
            log.exception("request %s: %s.%s failed", self.request_id, service, method)
            raise InternalError() from None
        finally:
            if self.guard is not None:
                self.guard.finished(service, timed_out=bool(given_up))

    def timed(self, service, method, timeout, kwargs=None):
        """``(result or None, error or None, milliseconds)`` for the admin views."""
        started = time.monotonic()
        try:
            result, error = self.call(service, method, kwargs, timeout=timeout), None
        except DomainError as exc:
            result, error = None, exc
        return result, error, round((time.monotonic() - started) * 1000, 1)
