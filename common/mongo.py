"""The MongoDB dependency provider (pymongo; ``mongomock://`` for embedded mode).

Config: ``MONGO_URI`` and ``MONGO_DB_PREFIX``; each service gets the database
``<prefix><service name>``. Clients are shared per URI within a process, which
for mongomock is also what makes every service in embedded mode see one server.
``ensure_indexes(db)`` runs at container start so unique indexes exist before
the first request.
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

    def setup(self):
        self.database = database_for(self.container)

    def start(self):
        if self.ensure_indexes is not None:
            self.ensure_indexes(self.database)

    def get_dependency(self, worker_ctx):
        return self.database
