"""Answering 503 at once for a service that cannot answer, instead of waiting the full timeout.

Two checks before every call from the gateway: the service must have a consumer
on its RPC queue (``gateway/consumers.py``), and its circuit breaker must be
closed. The breaker opens after ``FAILURES`` timeouts in a row (within
``WINDOW_SECONDS`` of the first); while open, calls are refused for
``COOL_DOWN_SECONDS``; then one trial call goes through (half-open): if it is
answered the breaker closes, if it times out the breaker opens again.
Breakers live in each gateway process's memory: each replica learns on its own.
"""

import math
import time

from nameko.extensions import DependencyProvider

from common.exceptions import ServiceUnavailable
from gateway.consumers import QueueConsumers

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitBreaker:
    def __init__(self, failures=5, window=30.0, cool_down=15.0, clock=time.monotonic):
        self.failures = failures
        self.window = window
        self.cool_down = cool_down
        self.clock = clock
        self.state = CLOSED
        self.streak = 0
        self.streak_began = 0.0
        self.open_until = 0.0
        self.trial_running = False

    def wait_seconds(self):
        """0 when a call may go through now (and, half-open, it becomes the trial); otherwise seconds to wait."""
        now = self.clock()
        if self.state == OPEN:
            if now < self.open_until:
                return self.open_until - now
            self.state, self.trial_running = HALF_OPEN, False
        if self.state == HALF_OPEN:
            if self.trial_running:
                return self.cool_down
            self.trial_running = True
        return 0

    def answered(self):
        self.state, self.streak, self.trial_running = CLOSED, 0, False

    def timed_out(self):
        now = self.clock()
        if self.state == HALF_OPEN:
            self._open(now)
            return
        if self.streak == 0 or now - self.streak_began > self.window:
            self.streak, self.streak_began = 0, now
        self.streak += 1
        if self.streak >= self.failures:
            self._open(now)

    def _open(self, now):
        self.state, self.open_until, self.streak, self.trial_running = OPEN, now + self.cool_down, 0, False


class ServiceGuard:
    """What the gateway's ``ServiceCalls`` asks before and tells after each call."""

    def __init__(self, consumers=None, failures=5, window=30.0, cool_down=15.0, clock=time.monotonic):
        self.consumers = consumers
        self.breakers = {}
        self.settings = {"failures": failures, "window": window, "cool_down": cool_down, "clock": clock}

    def breaker(self, service):
        if service not in self.breakers:
            self.breakers[service] = CircuitBreaker(**self.settings)
        return self.breakers[service]

    def admit(self, service):
        """Return if a call to ``service`` may go out; raise a 503 naming it if it cannot be answered."""
        if self.consumers is not None and self.consumers.count(service) == 0:
            raise ServiceUnavailable(f"The {service} service is not running", {"service": service})
        wait = self.breaker(service).wait_seconds()
        if wait:
            raise ServiceUnavailable(
                f"The {service} service keeps timing out; not calling it for a while",
                {"service": service, "retry_after": math.ceil(wait)},
            )

    def finished(self, service, timed_out):
        if timed_out:
            self.breaker(service).timed_out()
        else:
            self.breaker(service).answered()

    def nobody_running(self, service):
        """True only if the broker says, now, that no instance of ``service`` is taking requests."""
        return self.consumers is not None and self.consumers.count(service, fresh=True) == 0

    def close(self):
        if self.consumers is not None:
            self.consumers.close()


class ServiceGuards(DependencyProvider):
    """Config: ``GATEWAY.CONSUMER_CHECK_SECONDS`` (0 turns the consumer check off; it is always off with
    the in-process ``memory://`` broker) and ``GATEWAY.BREAKER`` (``FAILURES``, ``WINDOW_SECONDS``,
    ``COOL_DOWN_SECONDS``)."""

    def setup(self):
        config = self.container.config
        gateway = config.get("GATEWAY") or {}
        breaker = gateway.get("BREAKER") or {}
        cache_seconds = float(gateway.get("CONSUMER_CHECK_SECONDS", 1))
        amqp_uri = str(config.get("AMQP_URI") or "memory://")
        consumers = None
        if cache_seconds > 0 and not amqp_uri.startswith("memory://"):
            consumers = QueueConsumers(amqp_uri, cache_seconds)
        self.guard = ServiceGuard(
            consumers,
            failures=int(breaker.get("FAILURES", 5)),
            window=float(breaker.get("WINDOW_SECONDS", 30)),
            cool_down=float(breaker.get("COOL_DOWN_SECONDS", 15)),
        )

    def stop(self):
        self.guard.close()

    def get_dependency(self, worker_ctx):
        return self.guard
