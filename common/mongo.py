"""The MongoDB dependency provider (pymongo; ``mongomock://`` for embedded mode).

Config: ``MONGO_URI`` and ``MONGO_DB_PREFIX``; each service gets the database
``<prefix><service name>``. Clients are shared per URI within a process, which
for mongomock is also what makes every service in embedded mode see one server.
``ensure_indexes(db)`` runs at container start so unique indexes exist before
the first request.

With tracing on (``common.tracing``), a worker's ``db`` is ``TracedDatabase``: every collection operation it
makes is a client span, child of the worker's span. It wraps our provider's database rather than listening to
pymongo's command monitoring because mongomock (embedded mode, tests) fires no monitoring events; without
tracing the worker gets pymongo's (or mongomock's) database itself.
"""

import threading

import pymongo
from nameko.extensions import DependencyProvider

MOCK_SCHEME = "mongomock://"

_clients = {}
_clients_lock = threading.Lock()


def client_for(uri):
    with _clients_lock:
        client = _clients.get(uri)
        if client is None:
            if uri.startswith(MOCK_SCHEME):
                import mongomock  # only embedded mode and tests need it

                client = mongomock.MongoClient()
            else:
                client = pymongo.MongoClient(uri, tz_aware=True, uuidRepresentation="standard")
            _clients[uri] = client
        return client


def database_for(container):
    """The service's own database: ``MONGO_DB_PREFIX`` + its name, at ``MONGO_URI``."""
    config = container.config
    uri = config.get("MONGO_URI", MOCK_SCHEME + "localhost")
    return client_for(uri)[config.get("MONGO_DB_PREFIX", "lnd_") + container.service_name]


class MongoDatabase(DependencyProvider):
    def __init__(self, ensure_indexes=None):
        self.ensure_indexes = ensure_indexes
        self.tracer = None  # set by common.tracing.WorkerTracing when spans are exported

    def setup(self):
        self.database = database_for(self.container)

    def start(self):
        if self.ensure_indexes is not None:
            self.ensure_indexes(self.database)

    def get_dependency(self, worker_ctx):
        if self.tracer is not None:
            return TracedDatabase(self.database, self.tracer)
        return self.database


# -- spans of store calls ------------------------------------------------------------------------------------

# Collection methods that talk to the server (the rest, such as ``name``, pass through untraced).
TRACED_OPERATIONS = frozenset(
    [
        "aggregate",
        "bulk_write",
        "count_documents",
        "create_index",
        "create_indexes",
        "delete_many",
        "delete_one",
        "distinct",
        "drop",
        "drop_index",
        "estimated_document_count",
        "find_one",
        "find_one_and_delete",
        "find_one_and_replace",
        "find_one_and_update",
        "insert_many",
        "insert_one",
        "replace_one",
        "update_many",
        "update_one",
    ]
)


def _is_collection(value):
    return hasattr(value, "insert_one") and hasattr(value, "find")


class TracedDatabase:
    """A pymongo (or mongomock) ``Database`` whose collections trace their operations."""

    def __init__(self, database, tracer):
        self._database = database
        self._tracer = tracer

    def __getitem__(self, name):
        return TracedCollection(self._database[name], self._tracer)

    def get_collection(self, name, *args, **kwargs):
        return TracedCollection(self._database.get_collection(name, *args, **kwargs), self._tracer)

    def command(self, command, *args, **kwargs):
        name = command if isinstance(command, str) else next(iter(command))
        with _span(self._tracer, self._database.name, None, name):
            return self._database.command(command, *args, **kwargs)

    def __getattr__(self, name):
        value = getattr(self._database, name)
        return TracedCollection(value, self._tracer) if _is_collection(value) else value


class TracedCollection:
    def __init__(self, collection, tracer):
        self._collection = collection
        self._tracer = tracer

    def find(self, *args, **kwargs):
        # pymongo sends the query when the cursor is first read: the span is that first round trip.
        return TracedCursor(self._collection.find(*args, **kwargs), self)

    def _span(self, operation):
        return _span(self._tracer, self._collection.database.name, self._collection.name, operation)

    def __getattr__(self, name):
        value = getattr(self._collection, name)
        if name not in TRACED_OPERATIONS:
            return value

        def traced(*args, **kwargs):
            with self._span(name):
                return value(*args, **kwargs)

        return traced


class TracedCursor:
    """A find's cursor: modifiers (sort, skip, limit, ...) keep the wrapper; the first read is the span."""

    def __init__(self, cursor, collection):
        self._cursor = cursor
        self._collection = collection
        self._queried = False

    def __iter__(self):
        return self

    def __next__(self):
        if self._queried:
            return next(self._cursor)
        self._queried = True
        with self._collection._span("find"):
            return next(self._cursor)

    def __getattr__(self, name):
        value = getattr(self._cursor, name)
        if not callable(value):
            return value

        def keep_wrapper(*args, **kwargs):
            result = value(*args, **kwargs)
            return self if result is self._cursor else result

        return keep_wrapper


def _span(tracer, database, collection, operation):
    from opentelemetry.trace import SpanKind

    attributes = {"db.system": "mongodb", "db.name": database, "db.operation": operation}
    if collection is not None:
        attributes["db.mongodb.collection"] = collection
    name = f"{operation} {collection}" if collection is not None else operation
    return tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes)
