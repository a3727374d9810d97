"""Every worker is counted and timed by outcome and kind (WorkerMetrics); spans only with an OTLP endpoint."""

import prometheus_client
import pytest
from nameko.events import event_handler
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook

from common.exceptions import NotFound
from common.metrics import WorkerMetrics
from common.tracing import TRACEPARENT_KEY, WorkerTracing


class Counted:
    name = "counted"
    metrics = WorkerMetrics()
    tracing = WorkerTracing()

    @rpc
    def fine(self):
        return "ok"

    @rpc
    def missing(self):
        raise NotFound("no such thing")

    @rpc
    def broken(self):
        raise ValueError("a bug")

    @event_handler("shop", "ORDER_PLACED")
    def on_order(self, payload):
        return payload


def worker_count(entrypoint, kind, outcome):
    labels = {"service": "counted", "entrypoint": entrypoint, "kind": kind, "outcome": outcome}
    return prometheus_client.REGISTRY.get_sample_value("lnd_worker_total", labels) or 0


def seconds_count(entrypoint, kind):
    labels = {"service": "counted", "entrypoint": entrypoint, "kind": kind}
    return prometheus_client.REGISTRY.get_sample_value("lnd_worker_seconds_count", labels) or 0


@pytest.fixture
def container(container_factory):
    container = container_factory(Counted, {"AMQP_URI": "memory://"})
    container.start()
    return container


def test_workers_are_counted_by_kind_and_outcome_and_timed(container):
    cases = [("fine", "rpc", "ok"), ("missing", "rpc", "domain_error"), ("broken", "rpc", "error")]
    before = {case: worker_count(*case) for case in cases}
    timed_before = seconds_count("fine", "rpc")
    event_before = worker_count("on_order", "event", "ok")
    with entrypoint_hook(container, "fine") as fine:
        fine()
    with entrypoint_hook(container, "missing") as missing, pytest.raises(NotFound):
        missing()
    with entrypoint_hook(container, "broken") as broken, pytest.raises(ValueError):
        broken()
    with entrypoint_hook(container, "on_order") as on_order:
        on_order({"order": 1})
    for case in cases:
        assert worker_count(*case) == before[case] + 1, case
    assert seconds_count("fine", "rpc") == timed_before + 1
    assert worker_count("on_order", "event", "ok") == event_before + 1


def test_without_an_endpoint_tracing_is_off(container):
    tracing = next(dep for dep in container.dependencies if isinstance(dep, WorkerTracing))
    assert tracing.provider is None
    worker_ctx = type("WorkerCtx", (), {"data": {}})()
    tracing.worker_setup(worker_ctx)  # records nothing, sends no traceparent on
    assert TRACEPARENT_KEY not in worker_ctx.data and tracing.active == {}
