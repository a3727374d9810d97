"""Health checks of each kind of store: ok with a latency, or failed with a one-line reason (degraded)."""

import mongomock
import pymongo
import redis

from common import health


def test_a_reachable_mongodb_is_ok_with_its_latency():
    entry = health.check(health.mongo_probe(mongomock.MongoClient()["lnd_training"]))
    assert entry["status"] == "ok" and entry["latency_ms"] >= 0 and "reason" not in entry


def test_an_unreachable_mongodb_or_redis_fails_its_check_and_degrades_the_service():
    client = pymongo.MongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=200, connect=False)
    mongo = health.check(health.mongo_probe(client["lnd_training"]))
    assert mongo["status"] == "failed" and mongo["reason"].startswith("ServerSelectionTimeoutError: ")
    cache = health.check(health.redis_probe(redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)))
    assert cache["status"] == "failed" and cache["reason"].startswith("ConnectionError: ")
    assert "\n" not in mongo["reason"] and len(mongo["reason"]) <= 200
    answer = health.report("training", "1.0", {"mongodb": mongo})
    assert answer["status"] == "degraded" and answer["checks"]["mongodb"] is mongo
    assert health.report("training", "1.0", {"mongodb": {"status": "ok", "latency_ms": 1.0}})["status"] == "ok"
