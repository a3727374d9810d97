"""OpenTelemetry spans across services, exported over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.

Every worker (the gateway's HTTP request, an RPC, an event handler, a timer run) is a span. Its W3C
``traceparent`` is written into the worker's context data, which Nameko sends with every RPC and event the
worker makes, so the next service's span is its child: gateway request -> RPC -> handler -> store call (each SQL
statement, by SQLAlchemy's instrumentation on the service's engine; each MongoDB operation, by the service's
``MongoDatabase``, see common/mongo.py). Without an endpoint nothing is recorded.
"""

import threading

from nameko.extensions import DependencyProvider
from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from common.exceptions import DomainError
from common.mongo import MongoDatabase

TRACEPARENT_KEY = "traceparent"

_providers = {}
_providers_lock = threading.Lock()


def provider_for(endpoint, service_name):
    """One tracer provider per endpoint and service in a process (embedded mode runs every service in one)."""
    with _providers_lock:
        provider = _providers.get((endpoint, service_name))
        if provider is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces")))
            _providers[(endpoint, service_name)] = provider
        return provider


def release(provider):
    """Send what is left and stop the exporter (the service's container is stopping)."""
    with _providers_lock:
        for key, known in list(_providers.items()):
            if known is provider:
                del _providers[key]
    provider.shutdown()


def flush_all(timeout_millis=1000):
    """Send every provider's finished spans now; each may take ``timeout_millis`` (an exporter whose collector
    went away retries for half a minute: it must not hold up the others)."""
    for provider in list(_providers.values()):
        provider.force_flush(timeout_millis)


def rename_current_span(name):
    trace.get_current_span().update_name(name)


class WorkerTracing(DependencyProvider):
    def setup(self):
        endpoint = str(self.container.config.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").rstrip("/")
        self.provider = provider_for(endpoint, self.container.service_name) if endpoint else None
        self.active = {}

    def start(self):
        if self.provider is None:
            return
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        # The service's SQL engines (made by its database provider's setup): their statements become spans.
        engines = [ext.engine for ext in self.container.dependencies if getattr(ext, "engine", None) is not None]
        for engine in engines:
            # The instrumentation declares SQLAlchemy < 2.1; the engine events it uses are unchanged in 2.1
            # (tests/e2e/test_tracing.py checks the statement spans).
            SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=self.provider, skip_dep_check=True)
        # The service's MongoDB database: each operation a worker makes on it becomes a span.
        for dependency in self.container.dependencies:
            if isinstance(dependency, MongoDatabase):
                dependency.tracer = self.provider.get_tracer("common.mongo")

    def stop(self):
        if self.provider is not None:
            release(self.provider)

    kill = stop

    def worker_setup(self, worker_ctx):
        if self.provider is None:
            return
        parent = propagate.extract({TRACEPARENT_KEY: worker_ctx.data.get(TRACEPARENT_KEY) or ""})
        kind = SpanKind.SERVER if parent == context.Context() else SpanKind.CONSUMER
        span = self.provider.get_tracer(__name__).start_span(
            f"{worker_ctx.service_name}.{worker_ctx.entrypoint.method_name}",
            context=parent,
            kind=kind,
            attributes={"lnd.service": worker_ctx.service_name, "lnd.entrypoint": worker_ctx.entrypoint.method_name},
        )
        token = context.attach(trace.set_span_in_context(span))
        carrier = {}
        propagate.inject(carrier)
        worker_ctx.data[TRACEPARENT_KEY] = carrier.get(TRACEPARENT_KEY)
        self.active[worker_ctx] = (span, token)

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        span, _ = self.active.get(worker_ctx, (None, None))
        if span is not None and exc_info is not None and not isinstance(exc_info[1], DomainError):
            span.record_exception(exc_info[1])
            span.set_status(Status(StatusCode.ERROR, type(exc_info[1]).__name__))

    def worker_teardown(self, worker_ctx):
        span, token = self.active.pop(worker_ctx, (None, None))
        if span is not None:
            span.end()
            context.detach(token)
