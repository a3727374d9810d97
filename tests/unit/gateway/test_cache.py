"""The read cache's stores and its rules (gateway/cache.py, gateway/cache_policy.py), in memory and in Redis."""

import json
import uuid

import eventlet
import eventlet.event
import pytest
import redis
from nameko.testing.utils import find_free_port
from werkzeug.wrappers import Request

from common import events
from common.exceptions import Unauthorized
from gateway import cache_policy
from gateway.cache import MemoryEntries, ReadCache, RedisEntries
from gateway.envelope import EncodedJson
from gateway.keyvalue import redis_client
from gateway.routes import ROUTES
from gateway.tokens import RememberedTokens

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class As:
    """Who calls, as the gateway's ``CallerContext`` says."""

    def __init__(self, user_id, roles):
        self.user_id, self.roles = user_id, roles


REQUEST = Request.from_values("/")


def ask(cache, *args):
    """``cache.call(*args)``, a cached answer decoded (the cache hands it on encoded, for the envelope)."""
    answer = cache.call(*args)
    return json.loads(answer) if isinstance(answer, EncodedJson) else answer


def route(method, path):
    return next(r for r in ROUTES if r.method == method and r.path == path)


CATALOG = route("GET", "/training/courses")
COURSE = route("GET", "/training/courses/<course_id>")
UPDATE_COURSE = route("PUT", "/training/courses/<course_id>")
PROFILE = route("GET", "/users/profile")
FOLLOW = route("POST", "/users/<user_id>/follow")
HEALTH = route("GET", "/users/health")


@pytest.fixture(params=["memory", "redis"])
def entries(request):
    if request.param == "memory":
        yield MemoryEntries(max_bytes=1000)
        return
    client = redis.Redis.from_url(REDIS_URL)
    prefix = f"test-cache-unit-{uuid.uuid4().hex}-"
    yield RedisEntries(client, prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


class Service:
    """Stands in for the RPC: counts its calls."""

    def __init__(self, answer):
        self.answer = answer
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.answer


def test_a_read_is_answered_from_the_cache_until_its_group_is_dropped(entries):
    cache = ReadCache(entries, ttl=60)
    service = Service({"items": [1]})
    headers = {}
    for _ in range(3):
        assert ask(cache, REQUEST, CATALOG, As(None, ()), {"page": 1}, service, headers) == {"items": [1]}
    assert service.calls == 1 and headers["X-Cache"] == "hit"
    cache.apply(events.make_event(events.COURSE_PUBLISHED, course_id="c1"))
    service.answer = {"items": [1, 2]}
    assert ask(cache, REQUEST, CATALOG, As(None, ()), {"page": 1}, service, headers) == {"items": [1, 2]}
    assert service.calls == 2


def test_answers_are_kept_per_caller_and_arguments(entries):
    cache = ReadCache(entries, ttl=60)
    service = Service({"enrolled": False})
    ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, service, {})
    ask(cache, REQUEST, COURSE, As("u1", ("learner",)), {"course_id": "c1"}, service, {})
    ask(cache, REQUEST, COURSE, As("u1", ("learner", "coach")), {"course_id": "c1"}, service, {})
    ask(cache, REQUEST, COURSE, As("u2", ("learner",)), {"course_id": "c1"}, service, {})
    ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c2"}, service, {})
    assert service.calls == 5
    ask(cache, REQUEST, COURSE, As("u2", ("learner",)), {"course_id": "c1"}, service, {})
    assert service.calls == 5


def test_a_write_drops_its_groups_after_the_service_answered_even_when_it_failed(entries):
    cache = ReadCache(entries, ttl=60)
    reads = Service({"title": "old"})
    ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, reads, {})

    def failing_write():
        raise RuntimeError("the service failed half way")

    with pytest.raises(RuntimeError):
        ask(cache, REQUEST, UPDATE_COURSE, As("i1", ("instructor",)), {"course_id": "c1"}, failing_write, {})
    reads.answer = {"title": "new"}
    assert ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, reads, {}) == {"title": "new"}


def test_a_read_under_way_while_a_write_lands_is_not_kept(entries):
    """The generations are read before the RPC: an answer older than a drop is stale at once."""
    cache = ReadCache(entries, ttl=60)

    def read_during_a_write():
        ask(cache, REQUEST, UPDATE_COURSE, As("i1", ("instructor",)), {"course_id": "c1"}, lambda: {"title": "new"}, {})
        return {"title": "old"}  # what the service had read before the write committed

    assert ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, read_during_a_write, {}) == {"title": "old"}
    assert ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, lambda: {"title": "new"}, {}) == {
        "title": "new"
    }


def test_profiles_are_dropped_for_the_users_a_change_names(entries):
    cache = ReadCache(entries, ttl=60)
    service = Service({"followers": 0})
    for user in ("u1", "u2", "u3"):
        ask(cache, REQUEST, PROFILE, As(user, ("learner",)), {}, service, {})
    assert service.calls == 3
    ask(cache, REQUEST, FOLLOW, As("u1", ("learner",)), {"user_id": "u2"}, lambda: {"following": True}, {})
    for user in ("u1", "u2", "u3"):
        ask(cache, REQUEST, PROFILE, As(user, ("learner",)), {}, service, {})
    assert service.calls == 5  # u1 and u2 asked again, u3 not
    cache.apply(events.make_event(events.USER_FOLLOWED, user_id="u3", followee_id="u1"))
    for user in ("u1", "u2", "u3"):
        ask(cache, REQUEST, PROFILE, As(user, ("learner",)), {}, service, {})
    assert service.calls == 7


def test_uncached_routes_and_events_that_change_nothing_cached_go_through():
    entries = MemoryEntries()
    cache = ReadCache(entries, ttl=60)
    service = Service({"status": "ok"})
    ask(cache, REQUEST, HEALTH, As(None, ()), {}, service, {})
    ask(cache, REQUEST, HEALTH, As(None, ()), {}, service, {})
    assert service.calls == 2
    cache.apply(events.make_event(events.USER_LOGGED_IN, user_id="u1"))
    assert entries.generations == {}


def test_answers_live_ttl_seconds_from_when_they_were_asked_for():
    clock = Clock()
    cache = ReadCache(MemoryEntries(clock=clock), ttl=1.0, clock=clock)
    service = Service({"items": []})
    ask(cache, REQUEST, CATALOG, As(None, ()), {}, service, {})
    clock.now += 1.1  # nobody asked in between: expired
    ask(cache, REQUEST, CATALOG, As(None, ()), {}, service, {})
    assert service.calls == 2


def test_an_answer_past_half_its_life_is_renewed_by_one_request():
    clock = Clock()
    cache = ReadCache(MemoryEntries(clock=clock), ttl=1.0, clock=clock)
    service = Service({"items": []})
    headers = {}
    ask(cache, REQUEST, CATALOG, As(None, ()), {}, service, headers)
    clock.now += 0.4
    ask(cache, REQUEST, CATALOG, As(None, ()), {}, service, headers)
    assert (service.calls, headers["X-Cache"]) == (1, "hit")
    clock.now += 0.2
    service.answer = {"items": [1]}
    assert ask(cache, REQUEST, CATALOG, As(None, ()), {}, service, headers) == {"items": [1]}
    assert (service.calls, headers["X-Cache"]) == (2, "renew")
    clock.now += 0.45  # past the first answer's expiry, 0.45 s into the renewed one
    assert ask(cache, REQUEST, CATALOG, As(None, ()), {}, service, headers) == {"items": [1]}
    assert (service.calls, headers["X-Cache"]) == (2, "hit")


def test_memory_entries_stay_within_their_bound():
    entries = MemoryEntries(max_bytes=100)
    for index in range(50):
        entries.put(f"k{index}", (), "x" * 30, expires_at=float("inf"))
    assert entries.size <= 100 and len(entries.entries) == 3
    assert entries.lookup("k49", ())[0] == "x" * 30
    assert entries.lookup("k0", ())[0] is None
    entries.put("huge", (), "x" * 101, expires_at=float("inf"))
    assert entries.lookup("huge", ())[0] is None


def test_a_redis_outage_makes_reads_uncached_and_drops_wait_for_its_return():
    down = redis_client(f"redis://127.0.0.1:{find_free_port()}/0", 0.2)  # built as the gateway builds its own
    prefix = f"test-cache-unit-{uuid.uuid4().hex}-"
    entries = RedisEntries(redis_client(REDIS_URL), prefix)
    clock = Clock()
    cache = ReadCache(entries, ttl=60, clock=clock)
    service = Service({"title": "old"})
    ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, service, {})  # kept in Redis

    entries.client = down
    headers = {}
    assert ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, service, headers) == {"title": "old"}
    assert service.calls == 2 and "X-Cache" not in headers
    service.answer = {"title": "new"}
    ask(cache, REQUEST, UPDATE_COURSE, As("i1", ("instructor",)), {"course_id": "c1"}, lambda: {}, {})  # its drop fails
    assert cache.pending_drops == {"training"}
    assert ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, service, {}) == {"title": "new"}

    entries.client = redis_client(REDIS_URL)  # Redis is back, still holding the old answer
    clock.now += 1.5  # after the pause
    assert ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, service, {}) == {"title": "new"}
    assert cache.pending_drops == set()
    for key in entries.client.scan_iter(f"{prefix}*"):
        entries.client.delete(key)


def test_every_cached_route_and_dropping_service_exists():
    paths = {(r.method, r.path) for r in ROUTES}
    assert set(cache_policy.CACHED_READS) <= paths
    assert {r.service for r in ROUTES if (r.method, r.path) in cache_policy.CACHED_READS} <= set(
        cache_policy.WRITE_DROPS
    )
    for types, _ in cache_policy.EVENT_DROPS.values():
        assert types <= events.EVENT_TYPES


def test_no_cache_asks_the_service_and_keeps_its_answer():
    cache = ReadCache(MemoryEntries(), ttl=60)
    service = Service({"items": []})
    fresh = Request.from_values("/", headers={"Cache-Control": "no-cache"})
    ask(cache, REQUEST, CATALOG, As(None, ()), {}, service, {})
    service.answer = {"items": [1]}
    assert ask(cache, fresh, CATALOG, As(None, ()), {}, service, {}) == {"items": [1]}
    assert ask(cache, REQUEST, CATALOG, As(None, ()), {}, service, {}) == {"items": [1]}
    assert service.calls == 2


def test_a_remembered_token_is_refused_once_it_expires():
    clock = Clock()

    class Verifier:
        calls = 0

        def verify(self, token, fetch_jwks=None):
            Verifier.calls += 1
            return {"sub": "u1", "exp": clock.now + 10}

    tokens = RememberedTokens(Verifier(), clock=clock)
    assert tokens.verify("t")["sub"] == "u1"
    assert tokens.verify("t")["sub"] == "u1"
    assert Verifier.calls == 1
    clock.now += 11
    with pytest.raises(Unauthorized):
        tokens.verify("t")


def test_the_same_read_meanwhile_waits_for_the_one_under_way():
    cache = ReadCache(MemoryEntries(), ttl=60)
    release = eventlet.event.Event()
    calls = []

    def slow_service():
        calls.append(1)
        release.wait()
        return {"items": [1]}

    readers = [
        eventlet.spawn(ask, cache, REQUEST, CATALOG, As(None, ()), {"page": 1}, slow_service, {}) for _ in range(5)
    ]
    eventlet.sleep(0.01)
    release.send(True)
    assert [reader.wait() for reader in readers] == [{"items": [1]}] * 5
    assert len(calls) == 1


def test_a_read_under_way_before_a_drop_is_not_joined():
    cache = ReadCache(MemoryEntries(), ttl=60)
    release = eventlet.event.Event()

    def old_read():
        release.wait()
        return {"title": "old"}

    first = eventlet.spawn(ask, cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, old_read, {})
    eventlet.sleep(0.01)
    cache.apply(events.make_event(events.COURSE_PUBLISHED, course_id="c1"))
    second = eventlet.spawn(
        ask, cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, lambda: {"title": "new"}, {}
    )
    assert second.wait() == {"title": "new"}
    release.send(True)
    assert first.wait() == {"title": "old"}  # its own caller asked before the change
    # The old answer was kept under the old generations: nobody gets it any more.
    later = ask(cache, REQUEST, COURSE, As(None, ()), {"course_id": "c1"}, lambda: {"title": "newer"}, {})
    assert later != {"title": "old"}
