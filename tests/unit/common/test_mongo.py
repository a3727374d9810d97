from unittest.mock import Mock

from common.mongo import MongoDatabase, client_for


def test_services_in_one_process_share_a_mock_server_per_uri_and_get_indexes_at_start():
    calls = []
    container = Mock(service_name="training", config={"MONGO_URI": "mongomock://unit", "MONGO_DB_PREFIX": "t_"})
    provider = MongoDatabase(ensure_indexes=calls.append).bind(container, "db")
    provider.setup()
    provider.start()
    database = provider.get_dependency(Mock())
    assert database.name == "t_training" and calls == [database]
    database.things.insert_one({"_id": 1})
    # Another provider (another service in embedded mode) on the same URI sees the same server.
    assert client_for("mongomock://unit")["t_training"].things.count_documents({}) == 1
    assert client_for("mongomock://other")["t_training"].things.count_documents({}) == 0


def traced_provider(tracer):
    container = Mock(service_name="training", config={"MONGO_URI": "mongomock://traced", "MONGO_DB_PREFIX": "t_"})
    provider = MongoDatabase().bind(container, "db")
    provider.setup()
    provider.tracer = tracer
    return provider


def test_with_tracing_each_operation_is_a_client_span_of_the_current_one():
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    exported = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exported))
    tracer = tracer_provider.get_tracer(__name__)
    db = traced_provider(tracer).get_dependency(Mock())
    with tracer.start_as_current_span("training.list_courses") as worker:
        db["courses"].insert_many([{"_id": n, "title": f"course {n}"} for n in range(3)])
        cursor = db.courses.find({}, {"title": 1}).sort("_id", -1).skip(1).limit(5)
        assert [doc["_id"] for doc in cursor] == [1, 0]  # modifiers still apply through the wrapper
        assert db["courses"].count_documents({}) == 3
        assert list(db["courses"].find({"_id": 99})) == []
        assert db.command("ping")["ok"]
        assert db["courses"].name == "courses"  # attributes pass through
    spans = {span.name: span for span in exported.get_finished_spans()}
    operations = [span.name for span in exported.get_finished_spans() if span.name != "training.list_courses"]
    # One span per query: a find's span is its first read, whatever the number of documents.
    assert operations == ["insert_many courses", "find courses", "count_documents courses", "find courses", "ping"]
    for name in operations:
        span = spans[name]
        assert span.parent.span_id == worker.get_span_context().span_id and span.kind == SpanKind.CLIENT
        assert span.attributes["db.system"] == "mongodb" and span.attributes["db.name"] == "t_training"
    assert spans["find courses"].attributes["db.mongodb.collection"] == "courses"
    assert spans["find courses"].attributes["db.operation"] == "find"


def test_without_tracing_workers_get_the_driver_database_itself():
    provider = traced_provider(None)
    assert provider.get_dependency(Mock()) is provider.database
