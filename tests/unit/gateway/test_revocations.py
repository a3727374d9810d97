"""The gateway's revocation stores: in memory, and in the local Redis (a key prefix of the test's own)."""

import time
import uuid
from datetime import datetime

import pytest
import redis

from common import events
from common.revocations import Revocation, revocation_of
from gateway.keyvalue import redis_client
from gateway.revocations import MemoryRevocations, RedisRevocations, RevocationList

TTL = 900
NOW = 1_800_000_000.0


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def claims(user="u1", iat=NOW - 10, jti="j1", sid="s1"):
    return {"sub": user, "iat": iat, "jti": jti, "sid": sid}


@pytest.fixture
def redis_store():
    """A Redis store with the current time (Redis expires its keys by the real clock)."""
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test-rev-unit-{uuid.uuid4().hex}-"
    yield RedisRevocations(client, prefix, MemoryRevocations(TTL))
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_a_users_cutoff_refuses_tokens_issued_before_it_only():
    store = MemoryRevocations(TTL, clock=Clock())
    store.add(Revocation("u1", revoked_before=NOW - 5.000001, revoked_at=NOW - 5))
    assert store.is_revoked(claims(iat=NOW - 6))
    assert store.is_revoked(claims(iat=NOW - 5.0000011))  # a microsecond before still counts
    assert not store.is_revoked(claims(iat=NOW - 5.000001))  # issued at the cutoff: a login right after
    assert not store.is_revoked(claims(iat=NOW - 1))
    assert not store.is_revoked(claims(user="u2", iat=NOW - 6))


def test_a_cutoff_only_moves_forward():
    store = MemoryRevocations(TTL, clock=Clock())
    store.add(Revocation("u1", revoked_before=NOW - 2, revoked_at=NOW - 2))
    store.add(Revocation("u1", revoked_before=NOW - 8, revoked_at=NOW - 8))  # an older event, late
    assert store.is_revoked(claims(iat=NOW - 3))


def test_token_and_session_ids_are_refused_for_their_user_only():
    store = MemoryRevocations(TTL, clock=Clock())
    store.add(Revocation("u1", token_ids=("j1", "s9"), revoked_at=NOW - 1))
    assert store.is_revoked(claims(jti="j1", sid="s1"))
    assert store.is_revoked(claims(jti="j2", sid="s9"))
    assert not store.is_revoked(claims(jti="j2", sid="s1"))
    assert not store.is_revoked(claims(user="u2", jti="j1"))


def test_revocations_lapse_after_the_token_lifetime():
    clock = Clock()
    store = MemoryRevocations(TTL, clock=clock)
    store.add(Revocation("u1", revoked_before=NOW, token_ids=("j1",), revoked_at=NOW))
    clock.now = NOW + TTL - 1
    assert store.is_revoked(claims())
    clock.now = NOW + TTL + 1
    assert not store.is_revoked(claims())
    # One that lapsed before it arrived is not kept at all.
    store.add(Revocation("u3", revoked_before=NOW - TTL - 5, revoked_at=NOW - TTL - 5))
    assert len(store) <= 2


def test_memory_is_bounded_the_oldest_going_first():
    store = MemoryRevocations(TTL, max_entries=3, clock=Clock())
    for number in range(5):
        store.add(Revocation(f"u{number}", revoked_before=NOW, token_ids=(f"j{number}",), revoked_at=NOW))
    assert len(store) == 6
    assert not store.is_revoked(claims(user="u0", jti="x", sid=None))
    assert store.is_revoked(claims(user="u4", jti="x", sid=None))
    assert store.is_revoked(claims(user="u4", iat=NOW + 1, jti="j4", sid=None))


def test_redis_keeps_cutoffs_and_token_ids(redis_store):
    now = time.time()
    redis_store.add(Revocation("u1", revoked_before=now - 5, token_ids=("j9",), revoked_at=now - 5))
    redis_store.add(Revocation("u1", revoked_before=now - 50, revoked_at=now - 50))  # late and older: ignored
    fresh = RedisRevocations(redis_store.client, redis_store.prefix, MemoryRevocations(TTL))  # another replica
    assert fresh.is_revoked(claims(iat=now - 6, jti="j0", sid=None))
    assert not fresh.is_revoked(claims(iat=now - 4, jti="j0", sid=None))
    assert fresh.is_revoked(claims(iat=now - 4, jti="j9", sid=None))
    assert not fresh.is_revoked(claims(user="u2", iat=now - 6, jti="j9", sid=None))
    # Every key expires when its revocation lapses.
    ttls = [redis_store.client.ttl(key) for key in redis_store.client.scan_iter(f"{redis_store.prefix}*")]
    assert len(ttls) == 2 and all(TTL - 10 < ttl <= TTL for ttl in ttls)


def test_without_redis_the_replicas_own_memory_answers():
    unreachable = redis_client("redis://127.0.0.1:1/0", 0.2)  # the gateway's own client: it fails fast
    store = RedisRevocations(unreachable, "x-", MemoryRevocations(TTL))
    now = time.time()
    store.add(Revocation("u1", revoked_before=now - 1, revoked_at=now - 1))  # logged, kept in memory
    assert store.is_revoked(claims(iat=now - 2))
    assert not store.is_revoked(claims(iat=now))


def test_the_list_applies_revoking_events_and_loads_from_auth():
    store = MemoryRevocations(TTL, clock=Clock())
    revocations = RevocationList(store)
    event = {
        "event_id": "e1",
        "event_type": events.USER_ROLES_CHANGED,
        "timestamp": "2027-01-15T08:00:00.000Z",
        "user_id": "u1",
        "metadata": {"before": ["instructor"], "after": ["learner"], "revoked_before": NOW - 3.5},
    }
    assert revocations.apply(event).revoked_before == NOW - 3.5
    assert revocations.is_revoked(claims(iat=NOW - 4))
    assert revocations.apply({**event, "event_type": events.COURSE_CREATED}) is None
    revocations.load([{"user_id": "u7", "revoked_before": None, "token_ids": ["j7"], "revoked_at": NOW - 1}])
    assert revocations.loaded.is_set()
    assert revocations.is_revoked(claims(user="u7", jti="j7"))


def test_the_first_checks_wait_for_the_load_once():
    revocations = RevocationList(MemoryRevocations(TTL), load_wait=0.05)
    assert not revocations.is_revoked(claims())  # waited 0.05 s, then answered with what it has
    assert revocations._waited


ENVELOPE_TIME = "2027-01-15T08:00:00.250Z"


def event(event_type, **metadata):
    return {
        "event_id": uuid.uuid4().hex,
        "event_type": event_type,
        "timestamp": ENVELOPE_TIME,
        "user_id": "u1",
        "metadata": metadata,
    }


@pytest.mark.parametrize(
    ("revoking", "before", "token_ids"),
    [
        (event(events.USER_LOGGED_OUT, all_sessions=False, revoked_token_ids=["s1", "j1"]), None, ("s1", "j1")),
        (event(events.USER_LOGGED_OUT, all_sessions=True, revoked_before=5.5, revoked_token_ids=["s1"]), 5.5, ("s1",)),
        (event(events.PASSWORD_CHANGED, reason="change", revoked_before=7.25), 7.25, ()),
        (event(events.REFRESH_TOKEN_REUSED, revoked_token_ids=["s2"]), None, ("s2",)),
        (event(events.USER_DELETED, revoked_before=3.0), 3.0, ()),
        (event(events.USER_DISABLED, status="disabled", revoked_before=4.0), 4.0, ()),
        (event(events.USER_ROLES_CHANGED, before=["admin"], after=[], revoked_before=2.0), 2.0, ()),
        # A publisher that does not stamp the instant: the envelope's time stands in.
        (event(events.USER_DELETED), datetime.fromisoformat("2027-01-15T08:00:00.250+00:00").timestamp(), ()),
    ],
)
def test_what_each_event_revokes(revoking, before, token_ids):
    revocation = revocation_of(revoking)
    assert revocation.user_id == "u1"
    assert revocation.revoked_before == before
    assert revocation.token_ids == token_ids


@pytest.mark.parametrize(
    "harmless",
    [
        event(events.USER_ROLES_CHANGED, before=["learner"], after=["learner", "coach"], revoked_before=2.0),
        event(events.USER_LOGGED_OUT, all_sessions=False),
        event(events.USER_UPDATED, fields=["bio"]),
        {**event(events.USER_DELETED, revoked_before=1.0), "user_id": None},
    ],
)
def test_events_that_revoke_nothing(harmless):
    assert revocation_of(harmless) is None
