"""Cache hits answered before a worker (gateway/hot_reads.py): the same key as the worker's path, and the
same refusals: anything the worker's path would check that cannot be settled here goes to the worker."""

import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.access import RENEWAL_KEY
from gateway.cache import MemoryEntries, ReadCache
from gateway.hot_reads import EarlyAnswers, answerable
from gateway.routes import ROUTES
from gateway.service import QUERY_SCHEMAS, ROUTER, checked


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


class Tokens:
    def __init__(self, known):
        self.known = known

    def remembered(self, token):
        return self.known.get(token)


class Revocations:
    def __init__(self, revoked=(), ready=True):
        self.revoked, self.ready = set(revoked), ready

    def is_revoked(self, claims):
        return claims["sub"] in self.revoked


class Caller:
    def __init__(self, user_id=None, roles=()):
        self.user_id, self.roles = user_id, roles


LEARNER = {"sub": "u1", "roles": ["learner"], "exp": 10**10}


def request(path, token=None, headers=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Request(EnvironBuilder(path=path, headers=headers).get_environ())


def through_a_worker(cache, req, caller):
    """What the worker's path does with a read (gateway/service.py), with the service answering ``answer``."""
    route, path_args = ROUTER.match("GET", req.path)
    kwargs = dict(checked(QUERY_SCHEMAS[route], dict(req.args)) if route in QUERY_SCHEMAS else {}, **path_args)
    return cache.call(req, route, caller, kwargs, lambda: {"asked": req.full_path, "by": caller.user_id}, {})


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(clock):
    return ReadCache(MemoryEntries(clock=clock), ttl=1.0, clock=clock)


def early(cache, revocations=None, origins=()):
    return EarlyAnswers({"CORS_ORIGINS": list(origins)}, Tokens({"t1": LEARNER}), revocations or Revocations(), cache)


def test_a_hit_the_worker_kept_is_answered_early_with_its_headers(cache):
    path = "/training/courses?page=2&page_size=5&q=python"
    kept = through_a_worker(cache, request(path), Caller())
    answer = early(cache, origins=["https://app.example"]).answer(
        request(path, headers={"X-Request-ID": "abc-1", "Origin": "https://app.example"})
    )
    assert answer.status_code == 200 and json.loads(answer.get_data())["data"] == kept
    assert answer.headers["X-Cache"] == "hit" and answer.headers["X-Request-ID"] == "abc-1"
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example"
    # Another query is another answer: not kept, so the worker asks.
    assert early(cache).answer(request("/training/courses?page=3&page_size=5&q=python")) is None


def test_an_answer_is_only_replayed_to_its_caller(cache):
    through_a_worker(cache, request("/users/profile", "t1"), Caller("u1", ("learner",)))
    assert early(cache).answer(request("/users/profile", "t1")) is not None
    assert early(cache).answer(request("/users/profile")) is None  # anonymous: the worker answers 401


@pytest.mark.parametrize(
    ("token", "revocations", "headers"),
    [
        ("unknown", Revocations(), {}),  # never verified here: the worker verifies it
        ("t1", Revocations(revoked={"u1"}), {}),  # revoked: the worker answers 401
        ("t1", Revocations(ready=False), {}),  # revocations not loaded yet: the worker waits for them
        ("t1", Revocations(), {"Cache-Control": "no-cache"}),  # asked fresh
    ],
)
def test_what_only_a_worker_may_settle_goes_to_one(cache, token, revocations, headers):
    path = "/training/courses/c1"
    through_a_worker(cache, request(path, "t1"), Caller("u1", ("learner",)))
    assert early(cache).answer(request(path, "t1")) is not None
    assert early(cache, revocations).answer(request(path, token, headers)) is None


def test_a_bad_query_or_a_route_not_cached_goes_to_a_worker(cache):
    assert early(cache).answer(request("/training/courses?page=zero")) is None  # the worker answers 400
    assert early(cache).answer(request("/no/such/route")) is None
    assert early(cache).answer(request("/users/preferences", "t1")) is None


def test_an_answer_past_half_its_life_is_answered_and_renewed_by_one_worker_in_the_background(cache, clock):
    path = "/events"
    through_a_worker(cache, request(path), Caller())
    answers = early(cache)
    first = request(path)
    assert answers.answer(first) is not None and RENEWAL_KEY not in first.environ
    clock.now += 0.6  # past half its life: still answered, and this request is run again to renew it
    due = request(path)
    assert answers.answer(due).headers["X-Cache"] == "hit"
    key = due.environ[RENEWAL_KEY]
    meanwhile = request(path)
    assert answers.answer(meanwhile) is not None and RENEWAL_KEY not in meanwhile.environ  # one renewal at a time
    # The renewal is the worker's path, which asks the service and keeps the answer for another second.
    assert through_a_worker(cache, due, Caller())["asked"] == "/events?"
    answers.renewed(key)
    after = request(path)
    assert answers.answer(after) is not None and RENEWAL_KEY not in after.environ
    clock.now += 1.1  # expired: the worker's path asks
    assert answers.answer(request(path)) is None


def test_a_dropped_answer_goes_to_a_worker(cache):
    through_a_worker(cache, request("/events"), Caller())
    assert early(cache).answer(request("/events")) is not None
    cache.drop(("events",))
    assert early(cache).answer(request("/events")) is None


def test_every_route_answered_early_is_a_cached_get():
    answered = {(route.method, route.path) for route in ROUTES if answerable(route)}
    assert ("GET", "/training/courses") in answered and ("GET", "/users/profile") in answered
    assert all(method == "GET" for method, _ in answered)
