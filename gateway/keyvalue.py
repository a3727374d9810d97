"""Where the gateway keeps what it shares between requests: Redis when ``REDIS_URL`` is set, else its memory.

Rate-limit windows, idempotency records, revocations and cached reads all follow one rule: with
``REDIS_URL`` every gateway replica shares one Redis (one connection pool per process for all four),
without it each replica keeps a bounded store in its own memory (embedded mode, one replica). Each of
them is a ``KeyValueProvider``: it says how it lives in Redis and how in memory, and this class picks.
"""

import threading

import redis
from nameko.extensions import DependencyProvider

# Short: a read or a check that cannot reach Redis falls back (memory, uncached, not limited) rather than wait.
SOCKET_TIMEOUT = 0.5

_clients = {}
_clients_lock = threading.Lock()


def redis_client(url, timeout=SOCKET_TIMEOUT):
    """One client (and connection pool) per URL and timeout in this process."""
    with _clients_lock:
        client = _clients.get((url, timeout))
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            _clients[(url, timeout)] = client
        return client


class KeyValueProvider(DependencyProvider):
    """A gateway store: ``in_redis(client, settings)`` or ``in_memory(settings)`` becomes ``self.store``.

    ``settings`` is the ``GATEWAY`` section of the config; ``redis_timeout`` the client's socket timeout."""

    redis_timeout = SOCKET_TIMEOUT

    def setup(self):
        config = self.container.config
        settings = config.get("GATEWAY") or {}
        url = config.get("REDIS_URL")
        if url:
            self.store = self.in_redis(redis_client(url, self.redis_timeout), settings)
        else:
            self.store = self.in_memory(settings)

    def in_redis(self, client, settings):
        raise NotImplementedError

    def in_memory(self, settings):
        raise NotImplementedError

    def get_dependency(self, worker_ctx):
        return self.store
