"""RPC calls from the gateway, bounded by a timeout.

A service that does not answer in time, or has no running instance, is a
503 that names it; an error that is not a domain error is logged here and
shown to the client only as a 500 with no details.
"""

import logging
import time

from common.exceptions import DomainError, InternalError
from common.rpc import call_within

log = logging.getLogger(__name__)


class ServiceCalls:
    def __init__(self, proxies, timeout, request_id=None):
        self.proxies = proxies
        self.timeout = timeout
        self.request_id = request_id

    def call(self, service, method, kwargs=None, timeout=None):
        try:
            return call_within(
                getattr(self.proxies[service], method), service, timeout or self.timeout, **(kwargs or {})
            )
        except DomainError:
            raise
        except Exception:
            log.exception("request %s: %s.%s failed", self.request_id, service, method)
            raise InternalError() from None

    def timed(self, service, method, timeout, kwargs=None):
        """``(result or None, error or None, milliseconds)`` for the admin views."""
        started = time.monotonic()
        try:
            result, error = self.call(service, method, kwargs, timeout=timeout), None
        except DomainError as exc:
            result, error = None, exc
        return result, error, round((time.monotonic() - started) * 1000, 1)
