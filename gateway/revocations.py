"""The revocations the gateway has heard of, so that revoked access tokens are refused at once.

Access tokens are checked here without an RPC; auth and users publish an event for every revocation
(``common.revocations``) and every gateway replica hears every one of them. Two kinds are kept:

* a user's cutoff: their tokens issued (``iat``) before it are revoked (all sessions logged out, account
  disabled or deleted, a role taken away, the password changed);
* single token ids: a token's ``jti`` or its session's ``sid`` (one session logged out, a refresh token
  family revoked after the reuse of a spent token).

Each lapses one access-token lifetime after it happened: every token it could refuse has expired by then.
They are kept in Redis when ``REDIS_URL`` is set (shared by the replicas, kept across restarts) and mirrored
in process memory, which answers alone when Redis does not; without Redis, in memory only (bounded). Either
way a starting gateway asks auth for the revocations still in force (``auth.active_revocations``), so a
gateway started or restarted after an event does not let that event's tokens back in.
"""

import logging
import threading
import time
from collections import OrderedDict

import eventlet
import redis
from nameko.standalone.rpc import ClusterRpcProxy

from common.revocations import Revocation, issued_at, revocation_of
from gateway.keyvalue import KeyValueProvider

log = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 100_000
LOAD_RETRY_DELAYS = (0.2, 0.5, 1, 2, 5)


class MemoryRevocations:
    """Revocations in this process; at most ``max_entries`` users and as many token ids (the oldest go first)."""

    def __init__(self, ttl, max_entries=DEFAULT_MAX_ENTRIES, clock=time.time):
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._users = OrderedDict()  # user id -> (revoked_before, lapses_at)
        self._tokens = OrderedDict()  # jti or sid -> (user id, lapses_at)
        self._lock = threading.Lock()

    def add(self, revocation):
        lapses_at = revocation.revoked_at + self.ttl
        if lapses_at <= self.clock():
            return
        with self._lock:
            if revocation.revoked_before is not None:
                before, lapses = revocation.revoked_before, lapses_at
                known = self._users.pop(revocation.user_id, None)
                if known is not None:
                    before, lapses = max(before, known[0]), max(lapses, known[1])
                self._users[revocation.user_id] = (before, lapses)
            for token_id in revocation.token_ids:
                self._tokens.pop(token_id, None)
                self._tokens[token_id] = (revocation.user_id, lapses_at)
            self._trim(self._users)
            self._trim(self._tokens)

    def _trim(self, entries):
        """Drop lapsed entries from the old end, and the oldest ones beyond the bound."""
        now = self.clock()
        while entries:
            oldest = next(iter(entries.values()))
            if len(entries) <= self.max_entries and oldest[1] > now:
                return
            entries.popitem(last=False)

    def is_revoked(self, claims):
        now = self.clock()
        user_id = claims.get("sub")
        cutoff = self._users.get(user_id)
        if cutoff is not None and cutoff[1] > now and issued_at(claims) < cutoff[0]:
            return True
        for token_id in (claims.get("jti"), claims.get("sid")):
            entry = self._tokens.get(token_id) if token_id else None
            if entry is not None and entry[0] == user_id and entry[1] > now:
                return True
        return False

    def __len__(self):
        return len(self._users) + len(self._tokens)


# Raise a user's cutoff, never lower it (replicas write the same events, in any order).
RAISE_CUTOFF = """
local known = redis.call('GET', KEYS[1])
if (not known) or tonumber(known) < tonumber(ARGV[1]) then
    redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
end
"""


class RedisRevocations:
    """Revocations in Redis (keys ``<prefix>user:<id>`` = cutoff, ``<prefix>token:<id>`` = user id, each
    expiring when it lapses), mirrored in ``memory``, which answers while Redis does not."""

    def __init__(self, client, prefix, memory):
        self.client = client
        self.prefix = prefix
        self.memory = memory
        self.ttl = memory.ttl
        self._raise_cutoff = client.register_script(RAISE_CUTOFF)

    def _user_key(self, user_id):
        return f"{self.prefix}user:{user_id}"

    def _token_key(self, token_id):
        return f"{self.prefix}token:{token_id}"

    def add(self, revocation):
        self.memory.add(revocation)
        lapses_ms = int((revocation.revoked_at + self.ttl) * 1000)
        if lapses_ms <= time.time() * 1000:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            if revocation.revoked_before is not None:
                self._raise_cutoff(
                    keys=[self._user_key(revocation.user_id)],
                    args=[repr(revocation.revoked_before), lapses_ms],
                    client=pipe,
                )
            for token_id in revocation.token_ids:
                pipe.set(self._token_key(token_id), revocation.user_id, pxat=lapses_ms)
            pipe.execute()
        except redis.RedisError:
            log.warning("revocation of %s kept in this gateway only: Redis is unavailable", revocation.user_id)

    def is_revoked(self, claims):
        user_id = claims.get("sub")
        token_ids = [token_id for token_id in (claims.get("jti"), claims.get("sid")) if token_id]
        try:
            cutoff, *owners = self.client.mget(
                [self._user_key(user_id)] + [self._token_key(token_id) for token_id in token_ids]
            )
        except redis.RedisError:
            log.warning("revocations read from this gateway's memory: Redis is unavailable")
            return self.memory.is_revoked(claims)
        if cutoff is not None and issued_at(claims) < float(cutoff):
            return True
        return any(owner is not None and owner.decode() == user_id for owner in owners)


class RevocationList:
    """What a worker sees: ``is_revoked(claims)``, ``add(revocation)`` and ``apply(event)``.

    Until the first load from auth has answered, a check waits for it (at most ``load_wait`` seconds, once):
    a gateway without Redis knows nothing before it."""

    def __init__(self, store, load_wait=0.0):
        self.store = store
        self.loaded = threading.Event()
        self.load_wait = load_wait
        self._waited = False

    @property
    def ready(self):
        """Checks answer without waiting: the list is loaded, or nothing is to be waited for."""
        return self.loaded.is_set() or self._waited or self.load_wait <= 0

    def is_revoked(self, claims):
        if not self.loaded.is_set() and not self._waited and self.load_wait > 0:
            if not self.loaded.wait(self.load_wait):
                log.warning("revocations not loaded from auth yet: checking with what this gateway has heard")
            self._waited = True
        return self.store.is_revoked(claims)

    def add(self, revocation):
        self.store.add(revocation)

    def apply(self, event):
        """Keep what a revoking event revokes; other events change nothing."""
        revocation = revocation_of(event)
        if revocation is not None:
            self.store.add(revocation)
        return revocation

    def load(self, rows):
        for row in rows:
            token_ids = tuple(row["token_ids"])
            self.store.add(Revocation(row["user_id"], row["revoked_before"], token_ids, row["revoked_at"]))
        self.loaded.set()


class Revocations(KeyValueProvider):
    """Config: ``REDIS_URL``, ``JWT.ACCESS_TOKEN_TTL``, ``GATEWAY.REVOCATION_PREFIX`` (Redis keys),
    ``GATEWAY.REVOCATION_MAX_ENTRIES`` (memory bound) and ``GATEWAY.REVOCATION_LOAD_WAIT`` (seconds the first
    requests wait for the load from auth when there is no Redis)."""

    def in_redis(self, client, settings):
        store = RedisRevocations(client, settings.get("REVOCATION_PREFIX") or "lnd-rev-", self._memory(settings))
        return RevocationList(store, load_wait=0.0)  # Redis already holds them

    def in_memory(self, settings):
        return RevocationList(self._memory(settings), float(settings.get("REVOCATION_LOAD_WAIT", 5)))

    def _memory(self, settings):
        ttl = int((self.container.config.get("JWT") or {}).get("ACCESS_TOKEN_TTL", 900))
        return MemoryRevocations(ttl, int(settings.get("REVOCATION_MAX_ENTRIES") or DEFAULT_MAX_ENTRIES))

    def start(self):
        self.container.spawn_managed_thread(self._load_from_auth, identifier="revocations.load_from_auth")

    def _load_from_auth(self):
        """Ask auth for the revocations in force, until it answers (it may start after the gateway)."""
        timeout = float((self.container.config.get("GATEWAY") or {}).get("RPC_TIMEOUT", 10))
        attempt = 0
        while True:
            try:
                with ClusterRpcProxy(self.container.config, timeout=timeout) as rpc:
                    rows = rpc.auth.active_revocations()
                self.store.load(rows)
                log.info("%d revocations loaded from auth", len(rows))
                return
            except Exception as error:  # auth not up yet, the broker away: try again
                delay = LOAD_RETRY_DELAYS[min(attempt, len(LOAD_RETRY_DELAYS) - 1)]
                log.warning("revocations not loaded from auth (%s); again in %ss", type(error).__name__, delay)
                attempt += 1
                eventlet.sleep(delay)
