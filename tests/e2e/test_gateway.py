"""The gateway's contract: envelope, errors, limits, CORS, correlation ids, timeouts, health."""

import re

import eventlet
import jwt
import pytest
import requests
from nameko.rpc import rpc
from openapi_spec_validator import validate

from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.support.api import ApiClient


def test_every_answer_is_the_envelope_with_a_request_id(api):
    health = api.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["success"] is True and body["error"] is None and body["data"]["service"] == "gateway"
    assert len(health.headers["X-Request-ID"]) >= 16
    echoed = api.get("/health", headers={"X-Request-ID": "req-123.abc"})
    assert echoed.headers["X-Request-ID"] == "req-123.abc"
    # A header that could inject anything into logs is replaced, not echoed.
    assert api.get("/health", headers={"X-Request-ID": "a b<c>"}).headers["X-Request-ID"] != "a b<c>"


def test_unknown_routes_wrong_methods_and_bad_bodies(api):
    assert_error(api.get("/nowhere"), 404, "NOT_FOUND")
    assert_error(api.get("/"), 404, "NOT_FOUND")
    wrong = api.request("PATCH", "/auth/login")
    assert_error(wrong, 405, "METHOD_NOT_ALLOWED")
    assert "POST" in wrong.json()["error"]["details"]["allowed"]
    malformed = api.post("/auth/login", data=b'{"identifier": ', headers={"Content-Type": "application/json"})
    assert_error(malformed, 400, "VALIDATION_ERROR")
    assert_error(api.post("/auth/login", json=["a", "list"]), 400, "VALIDATION_ERROR")
    missing = api.post("/users/register", json={"email": "not-an-email"})
    assert_error(missing, 400, "VALIDATION_ERROR")
    fields = missing.json()["error"]["details"]["fields"]
    assert "email" in fields and "password" in fields
    assert_error(
        api.post("/users/register", json={"email": "a@b.co", "password": "p" * 10, "admin": True}),
        400,
        "VALIDATION_ERROR",
    )
    assert_error(api.get("/users/profile/not-a-uuid", token=None), 401, "UNAUTHORIZED")


def test_request_bodies_over_the_limit_get_413(api):
    big = {"email": "a@example.com", "password": "x" * (1024 * 1024 + 10)}
    assert_error(api.post("/users/register", json=big), 413, "PAYLOAD_TOO_LARGE")

    def chunks():
        for _ in range(300):
            yield b" " * 4096  # no Content-Length: the gateway counts what it reads

    chunked = api.post("/users/register", data=chunks(), headers={"Content-Type": "application/json"})
    assert_error(chunked, 413, "PAYLOAD_TOO_LARGE")

    def small_body():
        yield b'{"identifier": "someone@example.com", '
        yield b'"password": "wrong-password"}'

    # A chunked body within the limit is read, not dropped: the login is tried and fails.
    assert_error(api.post("/auth/login", data=small_body()), 401, "UNAUTHORIZED")


def test_cors_for_configured_origins_only(api):
    preflight = api.request(
        "OPTIONS",
        "/users/profile",
        headers={"Origin": "http://app.example", "Access-Control-Request-Method": "PUT"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]
    simple = api.get("/health", headers={"Origin": "http://app.example"})
    assert simple.headers["Access-Control-Allow-Origin"] == "http://app.example"
    assert "X-Request-ID" in simple.headers["Access-Control-Expose-Headers"]
    assert "Idempotent-Replayed" in simple.headers["Access-Control-Expose-Headers"]
    stranger = api.get("/health", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers


def test_every_service_answers_health_and_admins_see_latency(api, platform):
    for service in ("auth", "users", "training", "coaching", "events", "notifications", "engagement"):
        response = api.get(f"/{service}/health")
        assert response.status_code == 200, (service, response.text)
        health = response.json()["data"]
        assert {key: health[key] for key in ("status", "service", "version")} == {
            "status": "ok",
            "service": service,
            "version": "1.0.0",
        }
        assert [check["status"] for check in health["checks"].values()] == ["ok"]  # its one store
    create_admin(platform)
    token = api.login(*ADMIN)["access_token"]
    report = api.get("/admin/health", token=token).json()["data"]
    assert report["status"] == "ok"
    assert set(report["services"]) == {"auth", "users", "training", "coaching", "events", "notifications", "engagement"}
    assert all(entry["latency_ms"] >= 0 for entry in report["services"].values())
    dashboard = api.get("/admin/dashboard", token=token).json()["data"]["services"]
    assert dashboard["users"]["users"] == 1 and dashboard["users"]["by_role"] == {"admin": 1}


def test_openapi_document_and_swagger_ui(api):
    spec = api.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "post" in spec["paths"]["/auth/login"]
    assert spec["paths"]["/users/{user_id}/roles"]["put"]["security"] == [{"bearer": []}]
    assert "requestBody" in spec["paths"]["/users/register"]["post"]
    validate(spec)  # openapi-spec-validator: unique operation ids, well-formed schemas
    docs = api.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "unpkg" not in docs.text and "https://" not in docs.text  # nothing from a CDN: works offline
    assert "script-src 'self'" in docs.headers["Content-Security-Policy"]
    for asset in re.findall(r'(?:src|href)="(/docs/assets/[^"]+)"', docs.text):
        answer = api.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 0, asset
    assert "SwaggerUIBundle" in api.get("/docs/assets/swagger-ui-bundle.js").text
    assert api.get("/docs/assets/..%2f..%2fconfig.yaml").status_code == 404
    assert api.get("/docs/assets/swagger-editor.js").status_code == 404


class SlowTraining:
    """A stand-in training service that answers too late (the gateway's timeout is 1 s here)."""

    name = "training"

    @rpc
    def health(self):
        eventlet.sleep(3)
        return {"status": "ok", "service": "training", "version": "slow"}


class BrokenEvents:
    """A stand-in events service with a bug: the client must see a bare 500."""

    name = "events"

    @rpc
    def health(self):
        return {}["missing"]


@pytest.fixture
def degraded_api(runner_factory, platform_config):
    from gateway.service import GatewayService

    platform_config["GATEWAY"]["RPC_TIMEOUT"] = 1
    runner = runner_factory(platform_config, GatewayService, SlowTraining, BrokenEvents)
    runner.start()
    with ApiClient(f"http://{platform_config['WEB_SERVER_ADDRESS']}") as client:
        yield client


def test_slow_missing_and_broken_services(degraded_api):
    slow = degraded_api.get("/training/health")
    assert_error(slow, 503, "SERVICE_UNAVAILABLE")
    assert slow.json()["error"]["details"] == {"service": "training"}
    absent = degraded_api.get("/coaching/health")
    assert_error(absent, 503, "SERVICE_UNAVAILABLE")
    assert absent.json()["error"]["details"] == {"service": "coaching"}
    broken = degraded_api.get("/events/health")
    assert_error(broken, 500, "INTERNAL_ERROR")
    assert "missing" not in broken.text and "KeyError" not in broken.text


@pytest.fixture
def limited_api(runner_factory, platform_config):
    """The platform with the auth-route limit at 3 a minute, counted in the real Redis."""
    import uuid

    platform_config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    platform_config["GATEWAY"]["RATE_LIMITS"] = {"auth": "3/60"}
    platform_config["GATEWAY"]["RATE_LIMIT_PREFIX"] = f"test-{uuid.uuid4().hex}-"
    from tests.conftest import all_service_classes

    runner = runner_factory(platform_config, *all_service_classes())
    runner.start()
    with ApiClient(f"http://{platform_config['WEB_SERVER_ADDRESS']}") as client:
        yield client


def test_guessing_routes_are_rate_limited_per_client(limited_api):
    attempt = {"identifier": "someone@example.com", "password": "wrong-password"}
    statuses = [limited_api.post("/auth/login", json=attempt).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    limited = limited_api.post("/auth/login", json=attempt)
    assert_error(limited, 429, "RATE_LIMITED")
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    # The policy covers registration and codes too, and other routes stay open.
    assert_error(
        limited_api.post("/users/register", json={"email": "a@b.co", "password": "x" * 10}), 429, "RATE_LIMITED"
    )
    assert limited_api.get("/health").status_code == 200


def test_tokens_verify_by_openid_discovery(api, platform):
    """A standard JWT library finds our keys through /.well-known/openid-configuration alone."""
    create_admin(platform)
    token = api.login(*ADMIN)["access_token"]
    discovery = api.get("/.well-known/openid-configuration").json()  # a raw document, as the standard says
    assert discovery["issuer"] == platform["JWT"]["ISSUER"]
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    assert discovery["jwks_uri"].startswith(f"http://{platform['WEB_SERVER_ADDRESS']}/")
    keys = jwt.PyJWKSet.from_dict(requests.get(discovery["jwks_uri"], timeout=5).json())
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        issuer=discovery["issuer"],
        audience=platform["JWT"]["AUDIENCE"],
    )
    assert claims["roles"] == ["admin"]
