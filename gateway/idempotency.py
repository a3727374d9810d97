"""``Idempotency-Key`` on writes: the first answer to a key is kept and replayed, the work never redone.

A key belongs to its caller (the user, or an anonymous client's address).
The first request with a key claims it; a retry while that one runs gets 409
(in progress), a retry afterwards gets the kept answer again (header
``Idempotent-Replayed: true``), and the same key with a different request
(method, path, or arguments) gets 409. Successful and 4xx answers are kept
for ``KEEP_SECONDS``; a 5xx is not, so the client may retry.

A 503 because the gateway stopped waiting is not proof that nothing was done:
the service may have started just before the deadline and finish later. Then
the key stays claimed while the gateway keeps listening for that late answer
(up to ``SETTLE_SECONDS``): it is kept if it comes, and the key is released if
the service reports it dropped the request unstarted, if no instance of the
service is running, or if nothing comes. Records live in Redis when
``REDIS_URL`` is set (shared by every gateway replica), in bounded process
memory otherwise.
"""

import hashlib
import json
import logging
import re
import time
from collections import OrderedDict
from functools import partial

import eventlet
import redis
from nameko.exceptions import deserialize, serialize

from common.exceptions import Conflict, DomainError, ServiceUnavailable, ValidationError
from common.rpc import DeadlinePassed
from gateway.keyvalue import KeyValueProvider

log = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as a header value can carry safely
RUNNING, DONE = "running", "done"


def key_of(request):
    """The client's key on a write, None when there is none; 400 when it is malformed."""
    if request.method not in WRITE_METHODS or HEADER not in request.headers:
        return None
    key = request.headers[HEADER].strip()
    if not KEY.match(key):
        raise ValidationError(
            f"{HEADER} must be 1 to 255 visible ASCII characters", {HEADER: ["1 to 255 visible ASCII characters"]}
        )
    return key


def fingerprint(method, path, arguments):
    """What makes two requests the same request: method, path and the validated arguments."""
    text = json.dumps([method, path, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class MemoryRecords:
    """Records in this process (embedded mode), at most ``max_entries``: the oldest go first."""

    def __init__(self, max_entries=10_000, clock=time.time):
        self.entries = OrderedDict()  # key -> (record, expires at)
        self.max_entries = max_entries
        self.clock = clock

    def claim(self, key, record, ttl):
        """Store ``record`` unless the key holds one: then return that one (no green thread switch in between)."""
        existing = self.entries.get(key)
        if existing is not None and existing[1] > self.clock():
            return existing[0]
        self.put(key, record, ttl)
        return None

    def put(self, key, record, ttl):
        self.entries[key] = (record, self.clock() + ttl)
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)

    def drop(self, key):
        self.entries.pop(key, None)


class RedisRecords:
    def __init__(self, client, prefix):
        self.client = client
        self.prefix = prefix

    def claim(self, key, record, ttl):
        name = self.prefix + key
        for _ in range(3):  # the holder may expire between our SET and GET
            if self.client.set(name, json.dumps(record), nx=True, ex=int(ttl)):
                return None
            stored = self.client.get(name)
            if stored is not None:
                return json.loads(stored)
        raise redis.RedisError("the idempotency record keeps changing")

    def put(self, key, record, ttl):
        self.client.set(self.prefix + key, json.dumps(record), ex=int(ttl))

    def drop(self, key):
        self.client.delete(self.prefix + key)


class IdempotentWrites:
    def __init__(self, records, keep_seconds=86400, settle_seconds=60, lease_seconds=120, spawn=eventlet.spawn):
        self.records = records
        self.keep_seconds = keep_seconds
        self.settle_seconds = settle_seconds
        self.lease_seconds = lease_seconds  # a claim nobody finishes (its gateway died) is released after this
        self.spawn = spawn

    def call(self, request, scope, arguments, headers, call, nobody_running=None):
        """``call(on_timeout)``'s result, or the kept answer to the request's ``Idempotency-Key``.

        ``scope`` names the caller; ``nobody_running()`` is true when no instance of the called
        service runs (so a request given up on cannot still be running)."""
        key = key_of(request)
        if key is None:
            return call(None)
        scoped = f"{scope}:{hashlib.sha256(key.encode()).hexdigest()}"
        digest = fingerprint(request.method, request.path, arguments)
        try:
            existing = self.records.claim(scoped, {"state": RUNNING, "fingerprint": digest}, self.lease_seconds)
        except redis.RedisError:
            log.warning("idempotency records unavailable", exc_info=True)
            raise ServiceUnavailable("Idempotency keys cannot be checked just now", {"service": "gateway"}) from None
        if existing is not None:
            return self._replay(existing, digest, headers)
        given_up = []
        try:
            result = call(given_up.append)
        except DomainError as error:
            if error.status < 500:
                self._finish(scoped, digest, error=error)
            elif given_up and not (nobody_running is not None and nobody_running()):
                self.spawn(self._settle, scoped, digest, given_up[0])
            else:
                self._release(scoped)
            raise
        except BaseException:
            self._release(scoped)
            raise
        self._finish(scoped, digest, result=result)
        return result

    def _replay(self, record, digest, headers):
        if record["fingerprint"] != digest:
            raise Conflict(
                f"This {HEADER} was used for a different request", {"reason": "key_reused", "header": HEADER}
            )
        if record["state"] == RUNNING:
            raise Conflict(
                f"A request with this {HEADER} is still in progress",
                {"reason": "in_progress", "header": HEADER, "retry_after": 1},
            )
        headers[REPLAYED_HEADER] = "true"
        if record.get("error") is not None:
            raise deserialize(record["error"])
        return record["result"]

    def _settle(self, scoped, digest, reply):
        """Wait for the late answer of a call the gateway gave up on, and keep it (or release the key)."""
        outcome = None
        with eventlet.Timeout(self.settle_seconds, False):
            try:
                outcome = {"result": reply.result()}
            except DeadlinePassed:
                outcome = {}  # dropped unstarted: nothing was done
            except DomainError as error:
                outcome = {"error": error} if error.status < 500 else {}
            except Exception:
                outcome = {}
        if outcome:
            log.info("idempotent request answered after the gateway gave up; its answer is kept")
            self._finish(scoped, digest, **outcome)
        else:
            self._release(scoped)

    def _finish(self, scoped, digest, result=None, error=None):
        record = {"state": DONE, "fingerprint": digest, "result": result, "error": None}
        if error is not None:
            record["error"] = serialize(error)
        try:
            self.records.put(scoped, record, self.keep_seconds)
        except redis.RedisError:
            log.warning("could not keep an idempotent answer", exc_info=True)

    def _release(self, scoped):
        try:
            self.records.drop(scoped)
        except redis.RedisError:
            log.warning("could not release an idempotency key; it expires with its lease", exc_info=True)


class Idempotency(KeyValueProvider):
    """Config: ``REDIS_URL``, ``GATEWAY.RPC_TIMEOUT`` and ``GATEWAY.IDEMPOTENCY`` (``KEEP_SECONDS``,
    ``SETTLE_SECONDS``, ``MAX_ENTRIES`` in memory, ``PREFIX`` in Redis)."""

    redis_timeout = 1

    def in_redis(self, client, settings):
        return self._writes(RedisRecords(client, (settings.get("IDEMPOTENCY") or {}).get("PREFIX") or "lnd-idem-"))

    def in_memory(self, settings):
        return self._writes(MemoryRecords(int((settings.get("IDEMPOTENCY") or {}).get("MAX_ENTRIES", 10_000))))

    def _writes(self, records):
        gateway = self.container.config.get("GATEWAY") or {}
        settings = gateway.get("IDEMPOTENCY") or {}
        settle = float(settings.get("SETTLE_SECONDS", 60))
        return IdempotentWrites(
            records,
            keep_seconds=int(settings.get("KEEP_SECONDS", 86400)),
            settle_seconds=settle,
            lease_seconds=float(gateway.get("RPC_TIMEOUT", 10)) + settle + 30,
            spawn=self._spawn,
        )

    def _spawn(self, fn, *args):
        # A managed thread outlives the request's worker and is stopped with the service.
        self.container.spawn_managed_thread(partial(fn, *args), identifier="idempotency-settle")
