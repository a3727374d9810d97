"""Runtime-tunable settings, kept by each service in its own store.

A service declares its settings with defaults and bounds; admins change them
at run time (``update_setting`` RPC, ``/admin/settings`` in the gateway).
Values are cached for ``ttl`` seconds per process, so a change reaches every
replica within that time without a query per read.
"""

import json
import time
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider
from pymongo.errors import DuplicateKeyError
from sqlalchemy import (
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    select,
)
from sqlalchemy.exc import IntegrityError

from common.clock import isoformat, utcnow
from common.exceptions import Conflict, NotFound, ValidationError

SQL_TABLE = "runtime_settings"
MONGO_COLLECTION = "runtime_settings"


@dataclass(frozen=True)
class Setting:
    default: object
    description: str
    minimum: float = None
    maximum: float = None
    choices: tuple = field(default=())

    @property
    def kind(self):
        return type(self.default)

    def coerce(self, key, value):
        kind = self.kind
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise ValidationError(f"{key} takes a {kind.__name__}", {"value": [f"must be a {kind.__name__}"]})
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"{key} must be at least {self.minimum}", {"value": ["too small"]})
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(f"{key} must be at most {self.maximum}", {"value": ["too large"]})
        if self.choices and value not in self.choices:
            raise ValidationError(f"{key} must be one of {self.choices}", {"value": ["not a choice"]})
        return value


def settings_table(metadata):
    """The SQL table; each PostgreSQL service creates it in its own migration."""
    return Table(
        SQL_TABLE,
        metadata,
        Column("key", String(100), primary_key=True),
        Column("value", Text, nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


class SqlSettingsStore:
    def __init__(self, uri):
        self.engine = create_engine(uri)
        self.table = settings_table(MetaData())

    def load(self):
        with self.engine.connect() as conn:
            rows = conn.execute(select(self.table.c.key, self.table.c.value)).all()
        return {key: json.loads(value) for key, value in rows}

    def save(self, key, value):
        encoded = json.dumps(value)
        with self.engine.begin() as conn:
            updated = conn.execute(
                self.table.update().where(self.table.c.key == key).values(value=encoded, updated_at=utcnow())
            ).rowcount
            if not updated:
                conn.execute(self.table.insert().values(key=key, value=encoded, updated_at=utcnow()))

    def create(self, key, value):
        """Store ``value`` if ``key`` is not set yet; False if it is (the primary key settles a race)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(self.table.insert().values(key=key, value=json.dumps(value), updated_at=utcnow()))
        except IntegrityError:
            return False
        return True

    def close(self):
        self.engine.dispose()


class MongoSettingsStore:
    def __init__(self, database):
        self.collection = database[MONGO_COLLECTION]

    def load(self):
        return {doc["_id"]: doc["value"] for doc in self.collection.find({})}

    def save(self, key, value):
        self.collection.update_one({"_id": key}, {"$set": {"value": value, "updated_at": utcnow()}}, upsert=True)

    def create(self, key, value):
        try:
            self.collection.insert_one({"_id": key, "value": value, "updated_at": utcnow()})
        except DuplicateKeyError:
            return False
        return True

    def close(self):
        pass


class SettingsView:
    """What a worker sees: ``settings["name"]``, ``listing()``, ``update(name, value)``."""

    def __init__(self, provider):
        self._provider = provider

    def __getitem__(self, key):
        return self._provider.current().get(key, self._provider.definitions[key].default)

    def listing(self):
        values = self._provider.current()
        return [
            {
                "key": f"{self._provider.service_name}.{key}",
                "value": values.get(key, setting.default),
                "default": setting.default,
                "type": setting.kind.__name__,
                "description": setting.description,
            }
            for key, setting in sorted(self._provider.definitions.items())
        ]

    def create(self, key, value):
        """Set a declared setting that has no value yet (it reads as its default until then): 400 for a key the
        service does not declare, 409 when it is set already (change it with ``update``)."""
        setting = self._provider.definitions.get(key)
        if setting is None:
            raise ValidationError(
                f"{self._provider.service_name} declares no setting {key!r}", {"key": ["unknown setting"]}
            )
        value = setting.coerce(key, value)
        if not self._provider.store.create(key, value):
            raise Conflict(f"The setting {self._provider.service_name}.{key} is set already: change it with PUT")
        self._provider.invalidate()
        return {"key": f"{self._provider.service_name}.{key}", "value": value, "updated_at": isoformat(utcnow())}

    def update(self, key, value):
        setting = self._provider.definitions.get(key)
        if setting is None:
            raise NotFound(f"No setting {key!r} in {self._provider.service_name}")
        value = setting.coerce(key, value)
        self._provider.store.save(key, value)
        self._provider.invalidate()
        return {"key": f"{self._provider.service_name}.{key}", "value": value, "updated_at": isoformat(utcnow())}


class RuntimeSettings(DependencyProvider):
    """``RuntimeSettings({"name": Setting(...)}, store="sql"|"mongo")``."""

    def __init__(self, definitions, store="sql", ttl=5.0, declarative_base_name="Base"):
        self.definitions = dict(definitions)
        self.store_kind = store
        self.ttl = ttl
        self.declarative_base_name = declarative_base_name
        self._cached = None
        self._cached_at = 0.0

    def setup(self):
        self.service_name = self.container.service_name
        config = self.container.config
        if not self.definitions:
            self.store = None
        elif self.store_kind == "sql":
            uri = config["DB_URIS"][f"{self.service_name}:{self.declarative_base_name}"]
            self.store = SqlSettingsStore(uri)
        else:
            from common.mongo import MOCK_SCHEME, client_for

            uri = config.get("MONGO_URI", MOCK_SCHEME + "localhost")
            database = client_for(uri)[config.get("MONGO_DB_PREFIX", "lnd_") + self.service_name]
            self.store = MongoSettingsStore(database)

    def stop(self):
        if self.store is not None:
            self.store.close()

    def current(self):
        if self.store is None:
            return {}
        if self._cached is None or time.monotonic() - self._cached_at > self.ttl:
            self._cached = self.store.load()
            self._cached_at = time.monotonic()
        return self._cached

    def invalidate(self):
        self._cached = None

    def get_dependency(self, worker_ctx):
        return SettingsView(self)
