"""Spans across services: gateway request -> RPC -> handler -> store (SQL statements, MongoDB operations),
exported over OTLP to a local collector."""

import time

import pytest

from common.tracing import flush_all
from tests.conftest import all_service_classes
from tests.e2e.test_account_flow import ADMIN, create_admin
from tests.support.api import ApiClient
from tests.support.otlp_receiver import OtlpReceiver


@pytest.fixture
def collector():
    receiver = OtlpReceiver()
    yield receiver
    receiver.close()


def attributes_of(span):
    return {item.key: item.value.string_value for item in span.attributes}


def wait_for_trace(collector, root_name, until):
    """The spans of the trace whose gateway span is ``root_name``, once ``until(spans)`` holds (20 s at most: a
    busy machine delays the exporters' threads): each service ends its span after it has replied, so the
    gateway's may be exported before the others'."""
    deadline = time.monotonic() + 20
    while True:
        flush_all()
        root = next((s for n, s in collector.spans if n == "gateway" and s.name == root_name), None)
        spans = [(n, s) for n, s in collector.spans if root is not None and s.trace_id == root.trace_id]
        if (root is not None and until(spans)) or time.monotonic() > deadline:
            assert root is not None, [(n, s.name) for n, s in collector.spans]
            return root, spans


def parent_service_in(spans):
    by_id = {span.span_id: (service, span) for service, span in spans}
    return lambda span: by_id[span.parent_span_id][0] if span.parent_span_id in by_id else None


@pytest.fixture
def traced_platform(runner_factory, platform_config, collector):
    platform_config["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.url
    runner_factory(platform_config, *all_service_classes()).start()
    create_admin(platform_config)
    with ApiClient(f"http://{platform_config['WEB_SERVER_ADDRESS']}") as api:
        yield api


def test_one_trace_from_the_gateway_to_the_database(traced_platform, collector):
    assert traced_platform.login(*ADMIN)["access_token"]
    _, trace = wait_for_trace(
        collector, "POST /auth/login", lambda spans: any(n == "auth" and s.name == "auth.login" for n, s in spans)
    )
    parent_service = parent_service_in(trace)

    login = next(span for service, span in trace if service == "auth" and span.name == "auth.login")
    assert parent_service(login) == "gateway"
    users_calls = [span for service, span in trace if service == "users"]
    assert users_calls and all(parent_service(span) == "auth" for span in users_calls if span.name.startswith("users."))
    statements = [(service, span) for service, span in trace if span.name.split()[0] in ("SELECT", "INSERT", "UPDATE")]
    assert any(service == "auth" and parent_service(span) == "auth" for service, span in statements), statements


@pytest.mark.parametrize(
    ("service", "path", "route", "handler", "operation"),
    [
        ("training", "/training/courses", "GET /training/courses", "training.list_courses", "find courses"),
        (
            "engagement",
            "/engagement/points/me",
            "GET /engagement/points/me",
            "engagement.my_points",
            "aggregate points",
        ),
    ],
)
def test_one_trace_from_the_gateway_to_mongodb(
    traced_platform, platform_config, collector, service, path, route, handler, operation
):
    token = traced_platform.login(*ADMIN)["access_token"]
    assert traced_platform.get(path, token=token).status_code == 200

    def store_call_seen(spans):
        return any(attributes_of(span).get("db.system") == "mongodb" for _, span in spans)

    root, trace = wait_for_trace(collector, route, store_call_seen)
    parent_service = parent_service_in(trace)
    by_id = {span.span_id: span for _, span in trace}
    rpc = next(span for name, span in trace if name == service and span.name == handler)
    assert rpc.parent_span_id == root.span_id
    store_calls = [
        span for name, span in trace if name == service and attributes_of(span).get("db.system") == "mongodb"
    ]
    assert operation in [span.name for span in store_calls], [span.name for span in store_calls]
    for span in store_calls:  # every store call is a child of the handler's span, client side
        assert by_id[span.parent_span_id].name == handler and parent_service(span) == service
        assert span.kind == span.SPAN_KIND_CLIENT
        attributes = attributes_of(span)
        assert (
            attributes["db.name"] == platform_config["MONGO_DB_PREFIX"] + service
            and attributes["db.operation"] == span.name.split()[0]
        )
