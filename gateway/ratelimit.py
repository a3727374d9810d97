"""Per-client request limits on the routes that invite guessing (login, registration, codes).

Fixed windows counted in Redis when ``REDIS_URL`` is set, so every gateway replica
shares the count; in one process's memory otherwise (embedded mode). If Redis is
unreachable the limit is not applied: the platform stays up, and auth's own
per-identifier lockout still stands.
"""

import logging
import threading
import time

import redis

from common.exceptions import RateLimited
from gateway.keyvalue import KeyValueProvider

log = logging.getLogger(__name__)


def parse_limit(text):
    """``"30/60"`` -> ``(30, 60)``: 30 requests per 60 seconds; empty or ``0`` means no limit."""
    if not text or str(text).strip() in ("0", "off"):
        return None
    count, _, seconds = str(text).partition("/")
    return int(count), int(seconds or 60)


class MemoryWindows:
    def __init__(self):
        self.counts = {}
        self.lock = threading.Lock()

    def hit(self, key, window):
        slot = int(time.time() // window)
        with self.lock:
            if len(self.counts) > 100_000:  # forget old windows rather than grow without bound
                self.counts = {k: v for k, v in self.counts.items() if k[1] == slot}
            count = self.counts.get((key, slot), 0) + 1
            self.counts[(key, slot)] = count
        return count


class RedisWindows:
    def __init__(self, client, prefix):
        self.client = client
        self.prefix = prefix

    def hit(self, key, window):
        name = f"{self.prefix}{key}:{int(time.time() // window)}"
        pipe = self.client.pipeline()
        pipe.incr(name)
        pipe.expire(name, window + 1)
        return pipe.execute()[0]


class RateLimiter:
    def __init__(self, windows, limits, client_ip_header=None):
        self.windows = windows
        self.limits = limits
        self.client_ip_header = client_ip_header

    def client_of(self, request):
        if self.client_ip_header:
            forwarded = request.headers.get(self.client_ip_header, "")
            # The proxy in front of us appends the address it saw: trust only that last entry.
            last = forwarded.split(",")[-1].strip()
            if last:
                return last
        return request.remote_addr or "unknown"

    def check(self, policy, request):
        limit = self.limits.get(policy)
        if limit is None:
            return
        count, window = limit
        try:
            hits = self.windows.hit(f"{policy}:{self.client_of(request)}", window)
        except redis.RedisError:
            log.warning("rate limiting skipped: Redis is unavailable")
            return
        if hits > count:
            retry_after = window - int(time.time()) % window
            raise RateLimited("Too many requests; try again later", {"retry_after": retry_after})


class RateLimits(KeyValueProvider):
    """Config: ``REDIS_URL``, ``GATEWAY.RATE_LIMITS`` ({policy: "count/seconds"}),
    ``GATEWAY.RATE_LIMIT_PREFIX`` and ``GATEWAY.CLIENT_IP_HEADER``."""

    def in_redis(self, client, settings):
        return self._limiter(RedisWindows(client, settings.get("RATE_LIMIT_PREFIX") or "lnd-rl-"), settings)

    def in_memory(self, settings):
        return self._limiter(MemoryWindows(), settings)

    def _limiter(self, windows, settings):
        limits = {policy: parse_limit(text) for policy, text in (settings.get("RATE_LIMITS") or {}).items()}
        return RateLimiter(windows, limits, settings.get("CLIENT_IP_HEADER") or None)
