"""Spans across services: gateway request -> RPC -> handler -> SQL, exported over OTLP to a local collector."""

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


def test_one_trace_from_the_gateway_to_the_database(runner_factory, platform_config, collector):
    platform_config["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.url
    runner_factory(platform_config, *all_service_classes()).start()
    create_admin(platform_config)
    with ApiClient(f"http://{platform_config['WEB_SERVER_ADDRESS']}") as api:
        assert api.login(*ADMIN)["access_token"]

    def spans_of_the_login():
        flush_all()
        root = next((s for n, s in collector.spans if n == "gateway" and s.name == "POST /auth/login"), None)
        return root, [(n, s) for n, s in collector.spans if root is not None and s.trace_id == root.trace_id]

    # Each service ends its span after it has replied, so the gateway's may be exported before auth's.
    deadline = time.monotonic() + 10
    root, trace = spans_of_the_login()
    while not any(s.name == "auth.login" for _, s in trace) and time.monotonic() < deadline:
        time.sleep(0.1)
        root, trace = spans_of_the_login()
    assert root is not None, [(n, s.name) for n, s in collector.spans]
    by_id = {span.span_id: (service, span) for service, span in trace}

    def parent_service(span):
        return by_id[span.parent_span_id][0] if span.parent_span_id in by_id else None

    login = next(span for service, span in trace if service == "auth" and span.name == "auth.login")
    assert parent_service(login) == "gateway"
    users_calls = [span for service, span in trace if service == "users"]
    assert users_calls and all(parent_service(span) == "auth" for span in users_calls if span.name.startswith("users."))
    statements = [(service, span) for service, span in trace if span.name.split()[0] in ("SELECT", "INSERT", "UPDATE")]
    assert any(service == "auth" and parent_service(span) == "auth" for service, span in statements), statements
