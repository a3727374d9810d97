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

    deadline = time.monotonic() + 10
    root = None
    while root is None and time.monotonic() < deadline:
        flush_all()
        root = next((s for n, s in collector.spans if n == "gateway" and s.name == "POST /auth/login"), None)
        time.sleep(0.1)
    assert root is not None, [(n, s.name) for n, s in collector.spans]
    trace = [(service, span) for service, span in collector.spans if span.trace_id == root.trace_id]
    by_id = {span.span_id: (service, span) for service, span in trace}

    def parent_service(span):
        return by_id[span.parent_span_id][0] if span.parent_span_id in by_id else None

    login = next(span for service, span in trace if service == "auth" and span.name == "auth.login")
    assert parent_service(login) == "gateway"
    users_calls = [span for service, span in trace if service == "users"]
    assert users_calls and all(parent_service(span) == "auth" for span in users_calls if span.name.startswith("users."))
    statements = [(service, span) for service, span in trace if span.name.split()[0] in ("SELECT", "INSERT", "UPDATE")]
    assert any(service == "auth" and parent_service(span) == "auth" for service, span in statements), statements
