"""The gateway's read cache: hot reads answered without an RPC (what is cached and when it goes stale:
gateway/cache_policy.py).

Staleness is counted in *generations*: every group has a number, a cached answer keeps the numbers its
groups had when it was asked for, and dropping a group raises its number. An answer whose numbers are
not the current ones is a miss. Taking the numbers *before* the RPC closes the race with a write: a read
that was under way while a write committed keeps the old numbers, which the write's drop has raised.

In Redis (``REDIS_URL``; replicas share it) a lookup is one ``MGET`` of the generations and the entry;
in memory the entries are bounded by ``GATEWAY.CACHE.MAX_BYTES``. A miss is asked of the service once per
replica: the same read arriving meanwhile waits for that answer. When Redis fails, reads go to the
services uncached (never an error), groups that could not be dropped are kept and dropped first when
Redis answers again, and Redis is left alone for a second.
"""

import json
import logging
import time
from collections import OrderedDict

import redis
from eventlet.event import Event
from nameko.events import event_handler

from gateway import cache_policy
from gateway.envelope import EncodedJson
from gateway.keyvalue import KeyValueProvider

log = logging.getLogger(__name__)

EVERYTHING = "*"  # a group every answer belongs to: raised when a gateway starts on Redis
HIT, MISS, RENEW = "hit", "miss", "renew"


class MemoryEntries:
    """Answers in this process, at most ``max_bytes`` of them (the least recently used go first)."""

    def __init__(self, max_bytes=64 * 1024 * 1024, keep_generations=3600, clock=time.time):
        self.max_bytes = max_bytes
        self.keep_generations = keep_generations
        self.clock = clock
        self.entries = OrderedDict()  # key -> (generations, expires_at, text)
        self.size = 0
        self.generations = {}  # group -> (number, raised at)

    def lookup(self, key, groups):
        """``(text or None, the groups' current generations, when the text expires)``."""
        generations = tuple(self.generations.get(group, (0, 0))[0] for group in groups)
        entry = self.entries.get(key)
        if entry is None:
            return None, generations, None
        if entry[0] != generations or entry[1] <= self.clock():
            self._remove(key)
            return None, generations, None
        self.entries.move_to_end(key)
        return entry[2], generations, entry[1]

    def put(self, key, generations, text, expires_at):
        self._remove(key)
        if len(text) > self.max_bytes:
            return
        self.entries[key] = (generations, expires_at, text)
        self.size += len(text)
        while self.size > self.max_bytes:
            self._remove(next(iter(self.entries)))

    def drop(self, groups):
        now = self.clock()
        if len(self.generations) > 100_000:
            # A group raised longer ago than any answer lives can start again from 0: see cache_policy.
            self.generations = {g: v for g, v in self.generations.items() if now - v[1] < self.keep_generations}
        for group in groups:
            self.generations[group] = (self.generations.get(group, (0, 0))[0] + 1, now)

    def _remove(self, key):
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.size -= len(entry[2])


class RedisEntries:
    """Answers in Redis: ``<prefix>e:<key>`` = ``"<generations>\\n<expiry ms>\\n<json>"`` expiring with it,
    ``<prefix>g:<group>`` = the group's generation, kept ``keep_generations`` seconds after it last rose."""

    def __init__(self, client, prefix, keep_generations=3600):
        self.client = client
        self.prefix = prefix
        self.keep_generations = keep_generations

    def lookup(self, key, groups):
        *numbers, stored = self.client.mget([f"{self.prefix}g:{group}" for group in groups] + [f"{self.prefix}e:{key}"])
        generations = ",".join((number or b"0").decode() for number in numbers)
        if stored is None:
            return None, generations, None
        stored_generations, _, rest = stored.partition(b"\n")
        if stored_generations.decode() != generations:
            return None, generations, None
        expires_ms, _, text = rest.partition(b"\n")
        return text, generations, int(expires_ms) / 1000

    def put(self, key, generations, text, expires_at):
        expires_ms = int(expires_at * 1000)
        self.client.set(f"{self.prefix}e:{key}", f"{generations}\n{expires_ms}\n{text}", pxat=expires_ms)

    def drop(self, groups):
        pipe = self.client.pipeline(transaction=False)
        for group in groups:
            name = f"{self.prefix}g:{group}"
            pipe.incr(name)
            pipe.expire(name, self.keep_generations)
        pipe.execute()


class ReadCache:
    """What a worker sees: ``call(request, route, caller, arguments, fetch, headers)`` answers a cached read
    from the cache (as ``EncodedJson``, which the envelope takes as it is) or ``fetch()``, and makes a
    write's ``fetch()`` drop the groups it touches. A request with ``Cache-Control: no-cache`` is asked of
    the service (and its answer kept for the next ones)."""

    def __init__(self, entries, ttl=1.0, clock=time.time, pause_after_failure=1.0):
        self.entries = entries
        self.ttl = ttl
        self.clock = clock
        self.pause_after_failure = pause_after_failure
        self.unusable_until = 0.0
        self.pending_drops = set()  # groups not dropped yet because Redis failed
        # key -> (generations, Event): reads asked of a service now; the same read meanwhile waits for it, so
        # an answer that expires under load costs one RPC, not one per connection (and p99 stays a hit's).
        self.in_flight = {}

    def call(self, request, route, caller, arguments, fetch, headers):
        caller_id, roles = caller.user_id, caller.roles
        policy = cache_policy.cached_read(route) if self.ttl > 0 else None
        if policy is None:
            written = cache_policy.groups_written_by(route, caller_id, arguments)
            if not written:
                return fetch()
            try:
                return fetch()
            finally:  # even a failed write may have changed something
                self.drop(written)
        if not self._usable():
            return fetch()
        groups = (EVERYTHING, *policy.groups(caller_id, arguments))
        key = cache_policy.cache_key(route, caller_id, roles, arguments)
        asked_at = self.clock()
        try:
            text, generations, expires_at = self.entries.lookup(key, groups)
        except redis.RedisError:
            self._failed("read")
            return fetch()
        fresh = fresh_asked(request)
        if text is not None and not fresh:
            if expires_at - asked_at < self.ttl / 2 and key not in self.in_flight:
                # Past half its life: this request asks the service while the others still hit, so that under
                # load the answer is renewed before it expires and nobody waits for an RPC.
                headers["X-Cache"] = RENEW
                return self._fetch(key, generations, asked_at, fetch)
            headers["X-Cache"] = HIT
            return EncodedJson(text.decode() if isinstance(text, bytes) else text)
        headers["X-Cache"] = MISS
        joined = None if fresh else self.in_flight.get(key)
        if joined is not None and joined[0] == generations:
            # The same read for the same caller is under way, begun after the last drop: its answer is as fresh.
            text = joined[1].wait()
            if text is not None:
                return json.loads(text)
            return fetch()  # it failed: this one asks for itself
        return self._fetch(key, generations, asked_at, fetch)

    def fresh_hit(self, route, caller_id, roles, arguments):
        """``(text, key)``: the kept answer's JSON text (None when it is not a hit: ``call`` then asks or
        waits as needed), and its key when it is past half its life and nobody is renewing it yet (else
        None): ``call`` for the same read then renews it."""
        policy = cache_policy.cached_read(route) if self.ttl > 0 else None
        if policy is None or self.pending_drops or self.clock() < self.unusable_until:
            return None, None
        groups = (EVERYTHING, *policy.groups(caller_id, arguments))
        key = cache_policy.cache_key(route, caller_id, roles, arguments)
        now = self.clock()
        try:
            text, _, expires_at = self.entries.lookup(key, groups)
        except redis.RedisError:
            self._failed("read")
            return None, None
        if text is None:
            return None, None
        due = expires_at - now < self.ttl / 2 and key not in self.in_flight
        return (text.decode() if isinstance(text, bytes) else text), (key if due else None)

    def _fetch(self, key, generations, asked_at, fetch):
        """``fetch()``, kept, and handed to the requests that came for the same key meanwhile."""
        done = Event()
        self.in_flight[key] = (generations, done)
        text = None
        try:
            result = fetch()
            text = json.dumps(result, separators=(",", ":"))
        finally:
            if self.in_flight.get(key, (None, None))[1] is done:
                del self.in_flight[key]
            done.send(text)
        try:
            self.entries.put(key, generations, text, asked_at + self.ttl)
        except redis.RedisError:
            self._failed("write")
        return result

    def drop(self, groups):
        """Make every answer of these groups stale (later, and before any cached read, if Redis fails now)."""
        self.pending_drops.update(groups)
        self._drop_pending()

    def apply(self, event):
        """Drop what an event from a service makes stale."""
        groups = cache_policy.groups_dropped_by(event)
        if groups:
            self.drop(groups)

    def _usable(self):
        if self.clock() < self.unusable_until:
            return False
        return not self.pending_drops or self._drop_pending()

    def _drop_pending(self):
        groups = set(self.pending_drops)
        try:
            self.entries.drop(groups)
        except redis.RedisError:
            self._failed("drop")
            return False
        self.pending_drops -= groups
        return True

    def _failed(self, what):
        if self.clock() >= self.unusable_until:
            log.warning("read cache unavailable (%s failed): reads go to the services for a while", what)
        self.unusable_until = self.clock() + self.pause_after_failure


def fresh_asked(request):
    return "no-cache" in request.headers.get("Cache-Control", "")


class CachedReads(KeyValueProvider):
    """Config: ``REDIS_URL`` and ``GATEWAY.CACHE``: ``TTL_SECONDS`` (0 turns the cache off), ``MAX_BYTES``
    (memory) and ``PREFIX`` (Redis keys)."""

    def in_redis(self, client, settings):
        cache = settings.get("CACHE") or {}
        ttl = float(cache.get("TTL_SECONDS", 1))
        entries = RedisEntries(client, cache.get("PREFIX") or "lnd-cache-", keep_generations=int(ttl) + 3600)
        return ReadCache(entries, ttl)

    def in_memory(self, settings):
        cache = settings.get("CACHE") or {}
        ttl = float(cache.get("TTL_SECONDS", 1))
        entries = MemoryEntries(int(cache.get("MAX_BYTES", 64 * 1024 * 1024)), keep_generations=int(ttl) + 3600)
        return ReadCache(entries, ttl)

    def start(self):
        # Events published while no gateway listened are lost to this one: answers kept from before go stale.
        self.store.drop((EVERYTHING,))


def handles_invalidating_events(**options):
    """Decorator: the method is the ``event_handler`` (with ``options``) of every event of every exchange
    ``cache_policy.EVENT_DROPS`` names (one queue per exchange, bound to every routing key)."""

    def decorate(method):
        for source in cache_policy.EVENT_DROPS:
            method = event_handler(source, "#", **options)(method)
        return method

    return decorate
