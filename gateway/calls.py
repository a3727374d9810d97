"""RPC calls from the gateway, bounded by a timeout.

A service that does not answer in time, or has no running instance, is a
503 that names it; an error that is not a domain error is logged here and
shown to the client only as a 500 with no details.
"""

import logging
import time

import eventlet
from nameko.exceptions import UnknownService

from common.exceptions import DomainError, InternalError, ServiceUnavailable

log = logging.getLogger(__name__)


class ServiceCalls:
    def __init__(self, proxies, timeout, request_id=None):
        self.proxies = proxies
        self.timeout = timeout
        self.request_id = request_id

    def call(self, service, method, kwargs=None, timeout=None):
        timer = eventlet.Timeout(timeout or self.timeout)
        try:
            return getattr(self.proxies[service], method).call_async(**(kwargs or {})).result()
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            raise ServiceUnavailable(f"The {service} service did not answer in time", {"service": service}) from None
        except UnknownService:
            raise ServiceUnavailable(f"The {service} service is not running", {"service": service}) from None
        except DomainError:
            raise
        except Exception:
            log.exception("request %s: %s.%s failed", self.request_id, service, method)
            raise InternalError() from None
        finally:
            timer.cancel()

    def timed(self, service, method, timeout):
        """``(result or None, error or None, milliseconds)`` for the admin views."""
        started = time.monotonic()
        try:
            result, error = self.call(service, method, timeout=timeout), None
        except DomainError as exc:
            result, error = None, exc
        return result, error, round((time.monotonic() - started) * 1000, 1)
