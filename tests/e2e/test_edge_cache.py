"""The gateway's read cache over HTTP, on real RabbitMQ and PostgreSQL (gateway/cache.py, cache_policy.py).

Its three promises, with the cache in Redis (a key prefix of the test's own) and in the gateway's memory:
a write through the gateway is seen by the very next read, from any client (and, with Redis, through any
replica); a change made elsewhere is seen within a second; nobody sees through the cache what the
service would not show them. And a Redis that goes away makes reads uncached, not failed.
"""

import copy
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import find_free_port

from common.context import ROLES_KEY, USER_ID_KEY
from common.metrics import WORKERS
from gateway.service import GatewayService
from tests.conftest import all_service_classes
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from tests.support.coaching_setup import iso

REDIS_URL = "redis://127.0.0.1:6379/0"
WITHIN = 1.0  # seconds a change made elsewhere may take to show


def with_redis(config, url, prefix):
    config["REDIS_URL"] = url
    # Every gateway store in Redis under this test's own prefix (logins from 127.0.0.1 are counted there too).
    config["GATEWAY"] = {
        **config["GATEWAY"],
        "CACHE": {**(config["GATEWAY"].get("CACHE") or {}), "PREFIX": f"{prefix}cache-"},
        "RATE_LIMIT_PREFIX": f"{prefix}rl-",
        "REVOCATION_PREFIX": f"{prefix}rev-",
        "IDEMPOTENCY": {**(config["GATEWAY"].get("IDEMPOTENCY") or {}), "PREFIX": f"{prefix}idem-"},
    }


@pytest.fixture(params=["memory", "redis"])
def backend(request, platform_config):
    if request.param == "memory":
        platform_config["REDIS_URL"] = ""
        yield request.param
        return
    prefix = f"test-cache-{uuid.uuid4().hex}-"
    with_redis(platform_config, REDIS_URL, prefix)
    yield request.param
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def people(api, platform):
    admin_id = create_admin(platform)["id"]
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    lee, learner = make_user(api, admin, "lee@example.com", "Lee Learner")
    _, other = make_user(api, admin, "max@example.com", "Max Other")
    return {
        "admin": admin,
        "admin_id": admin_id,
        "instructor": instructor,
        "learner": learner,
        "learner_id": lee["id"],
        "other": other,
    }


def data_of(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def gateway_http_workers():
    """How many Nameko workers the gateway (in this process) has run for HTTP requests so far."""
    return sum(
        sample.value
        for metric in WORKERS.collect()
        for sample in metric.samples
        if sample.name == "lnd_worker_total"
        and sample.labels["service"] == "gateway"
        and sample.labels["entrypoint"] in ("serve_path", "serve_root")
    )


def cached_read(api, path, **kwargs):
    """The answer to a read once it comes from the cache, answered before a worker (gateway/hot_reads.py),
    so that the test tests what clients get from the cache. The events of the test's own writes may still
    be arriving and dropping it, and an answer past half its life is renewed: ask again a few times."""
    for _ in range(20):
        workers = gateway_http_workers()
        response = api.get(path, **kwargs)
        if response.headers.get("X-Cache") == "hit" and gateway_http_workers() == workers:
            return data_of(response)
        time.sleep(0.05)
    raise AssertionError(f"{path} never came from the cache before a worker: {response.headers}")


def published_course(api, instructor, title="Practical Python"):
    body = {"title": title, "modules": [{"title": "Basics", "lessons": [{"title": "Welcome", "content": "Hi"}]}]}
    course = data_of(api.post("/training/courses", token=instructor, json=body), 201)
    return data_of(api.post(f"/training/courses/{course['id']}/publish", token=instructor))


def titles(catalog):
    return [item["title"] for item in catalog["items"]]


def seen_within(read, expected, seconds=WITHIN):
    """Seconds until ``read()`` returned ``expected`` (asserting it did within ``seconds``)."""
    started = time.monotonic()
    while True:
        value = read()
        elapsed = time.monotonic() - started
        if value == expected:
            return elapsed
        assert elapsed < seconds, f"still {value!r} after {elapsed:.2f} s, expected {expected!r}"
        time.sleep(0.05)


def test_a_write_through_the_gateway_is_seen_by_the_very_next_read(backend, platform, api, people, container_factory):
    instructor, learner = people["instructor"], people["learner"]
    course = published_course(api, instructor)
    path = f"/training/courses/{course['id']}"
    # With Redis a second replica shares the cache: a write through one is seen through the other at once.
    replica = api
    if backend == "redis":
        config = copy.deepcopy(platform)
        config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{find_free_port()}"
        container_factory(GatewayService, config).start()
        replica = ApiClient(f"http://{config['WEB_SERVER_ADDRESS']}")

    assert cached_read(replica, path)["title"] == "Practical Python"
    assert titles(cached_read(replica, "/training/courses")) == ["Practical Python"]
    data_of(api.put(path, token=instructor, json={"title": "Python in practice"}))
    assert data_of(replica.get(path))["title"] == "Python in practice"
    assert titles(data_of(replica.get("/training/courses"))) == ["Python in practice"]

    # The learner's own view: enrolled once they enrolled.
    assert cached_read(replica, path, token=learner)["enrolled"] is False
    data_of(api.post(f"{path}/enroll", token=learner), 201)
    assert data_of(replica.get(path, token=learner))["enrolled"] is True

    # Their profile.
    assert cached_read(replica, "/users/profile", token=learner)["bio"] in (None, "")
    data_of(api.put("/users/profile", token=learner, json={"bio": "Learning Python"}))
    assert data_of(replica.get("/users/profile", token=learner))["bio"] == "Learning Python"

    # Unpublished: gone for everyone but its instructor at once.
    data_of(api.post(f"{path}/unpublish", token=instructor))
    assert_error(replica.get(path), 404, "NOT_FOUND")
    assert titles(data_of(replica.get("/training/courses"))) == []


def test_a_change_made_elsewhere_is_seen_within_a_second(backend, platform, api, people):
    learner, learner_id = people["learner"], people["learner_id"]
    course = published_course(api, people["instructor"])
    path = f"/training/courses/{course['id']}"
    assert cached_read(api, path)["title"] == "Practical Python"
    assert cached_read(api, "/users/profile", token=learner)["name"] == "Lee Learner"
    # Operator RPCs: no gateway in the way. The events drop the cached reads (COURSE_UPDATED the course,
    # USER_UPDATED the profile); the TTL bounds what an event lost to the gateway leaves.
    with ClusterRpcProxy(platform) as rpc:
        rpc.training.update_course(course["id"], title="Edited by an operator")
        rpc.users.update_user(learner_id, name="Lee Renamed")
    seen_within(lambda: data_of(api.get(path))["title"], "Edited by an operator")
    seen_within(lambda: data_of(api.get("/users/profile", token=learner))["name"], "Lee Renamed")


@pytest.fixture
def long_lived_answers(platform_config):
    # Answers kept a minute: only the events can make a change show within a second.
    platform_config["REDIS_URL"] = ""
    platform_config["GATEWAY"] = {**platform_config["GATEWAY"], "CACHE": {"TTL_SECONDS": 60}}


def test_the_events_of_a_change_drop_its_cached_reads(long_lived_answers, platform, api, people):
    learner, learner_id = people["learner"], people["learner_id"]
    assert cached_read(api, "/users/profile", token=learner)["name"] == "Lee Learner"
    event = online_event(api, people["admin"])
    assert cached_read(api, f"/events/{event['id']}")["title"] == "Leading remote teams"
    with ClusterRpcProxy(platform) as rpc:
        rpc.users.update_user(learner_id, name="Lee Renamed")  # USER_UPDATED
    # Another service acting for the organiser (its caller in context data, as the gateway passes it).
    with ClusterRpcProxy(platform, context_data={USER_ID_KEY: people["admin_id"], ROLES_KEY: "admin"}) as rpc:
        rpc.events.update_event(event["id"], title="Leading hybrid teams")  # EVENT_UPDATED
    seen_within(lambda: data_of(api.get("/users/profile", token=learner))["name"], "Lee Renamed")
    seen_within(lambda: data_of(api.get(f"/events/{event['id']}"))["title"], "Leading hybrid teams")


def online_event(api, organiser):
    start = datetime.now(UTC) + timedelta(days=3)
    body = {
        "title": "Leading remote teams",
        "kind": "online",
        "join_url": "https://meet.example.com/abc",
        "timezone": "Europe/Berlin",
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=2)),
        "capacity": 10,
    }
    return data_of(api.post("/events", token=organiser, json=body), 201)


def test_nobody_sees_through_the_cache_what_they_could_not_see_without_it(backend, platform, api, people):
    instructor, learner, other = people["instructor"], people["learner"], people["other"]
    # A draft: its instructor reads it (and it is cached for them); to anyone else it stays 404.
    draft = data_of(api.post("/training/courses", token=instructor, json={"title": "Secret draft"}), 201)
    draft_path = f"/training/courses/{draft['id']}"
    assert cached_read(api, draft_path, token=instructor)["title"] == "Secret draft"
    assert titles(cached_read(api, "/training/courses", token=instructor, params={"status": "draft"})) == [
        "Secret draft"
    ]
    for token in (None, learner, learner):
        assert_error(api.get(draft_path, token=token), 404, "NOT_FOUND")
        assert data_of(api.get("/training/courses", token=token, params={"status": "draft"}))["total"] == 0

    # An enrollment's status: its learner's alone.
    course = published_course(api, instructor, "Open course")
    path = f"/training/courses/{course['id']}"
    data_of(api.post(f"{path}/enroll", token=learner), 201)
    assert cached_read(api, path, token=learner)["enrolled"] is True
    assert cached_read(api, path, token=other)["enrolled"] is False
    assert cached_read(api, path)["enrolled"] is False

    # The join URL of an online event: registrants only.
    event = online_event(api, people["admin"])
    event_path = f"/events/{event['id']}"
    data_of(api.post(f"{event_path}/register", token=learner))
    assert cached_read(api, event_path, token=learner)["join_url"] == "https://meet.example.com/abc"
    assert cached_read(api, event_path, token=other)["join_url"] is None
    assert cached_read(api, event_path)["join_url"] is None
    assert all(item["join_url"] is None for item in cached_read(api, "/events")["items"])

    # Everyone's own profile.
    assert cached_read(api, "/users/profile", token=learner)["name"] == "Lee Learner"
    assert cached_read(api, "/users/profile", token=other)["name"] == "Max Other"


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own on a free port (the shared one on 6379 is never stopped)."""
    port = find_free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    def stop():
        if process.poll() is None:
            process.terminate()
            process.wait(10)

    yield url, stop
    stop()
    client.close()


def test_a_redis_outage_makes_reads_uncached_not_failed(private_redis, platform_config, runner_factory):
    url, stop_redis = private_redis
    with_redis(platform_config, url, "outage-")
    runner_factory(platform_config, *all_service_classes()).start()
    with ApiClient(f"http://{platform_config['WEB_SERVER_ADDRESS']}") as api:
        create_admin(platform_config)
        admin = api.login(*ADMIN)["access_token"]
        _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
        course = published_course(api, instructor)
        path = f"/training/courses/{course['id']}"
        assert cached_read(api, path)["title"] == "Practical Python"
        assert titles(cached_read(api, "/training/courses")) == ["Practical Python"]
        health = data_of(api.get("/admin/health", token=admin))["gateway"]
        assert (health["status"], health["checks"]["redis"]["status"]) == ("ok", "ok")

        stop_redis()
        # Admins see the gateway degraded, with the reason; it still serves (and is still ready).
        report = data_of(api.get("/admin/health", token=admin))
        assert (report["status"], report["gateway"]["status"]) == ("degraded", "degraded")
        assert report["gateway"]["checks"]["redis"]["status"] == "failed"
        assert report["gateway"]["checks"]["redis"]["reason"]
        for _ in range(3):
            response = api.get(path)
            assert data_of(response)["title"] == "Practical Python"
            assert "X-Cache" not in response.headers  # asked of the service
            assert titles(data_of(api.get("/training/courses"))) == ["Practical Python"]
            assert data_of(api.get("/users/profile", token=instructor))["name"] == "Ivy Instructor"
        data_of(api.put(path, token=instructor, json={"title": "Written while Redis was down"}))
        assert data_of(api.get(path))["title"] == "Written while Redis was down"
