"""Runtime-tunable settings, kept by each service in its own store.

A service declares its settings with defaults and bounds; admins change them
at run time (``update_setting`` and ``create_setting`` RPCs, ``/admin/settings`` in
the gateway), and each change is announced as SETTING_CHANGED (old and new value)
through the service's outbox, saved with it. Values are cached for ``ttl`` seconds
per process, so a change reaches every replica within that time without a query
per read.
"""

import json
import time
from dataclasses import dataclass, field

from nameko.extensions import DependencyProvider
from nameko_sqlalchemy import Database
from pymongo import ReturnDocument
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

from common import events
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


UNSET = object()  # a key with no stored value (its default applies)


class SqlSettingsStore:
    """Reads with an engine of its own (cached by the provider); writes through the worker's session
    (``SqlSettingsWriter``), so a change and its event in the outbox are one commit."""

    def __init__(self, uri):
        self.engine = create_engine(uri)
        self.table = settings_table(MetaData())

    def load(self):
        with self.engine.connect() as conn:
            rows = conn.execute(select(self.table.c.key, self.table.c.value)).all()
        return {key: json.loads(value) for key, value in rows}

    def close(self):
        self.engine.dispose()


class SqlSettingsWriter:
    """One worker's writes to the settings table, in its session (the caller commits)."""

    def __init__(self, session, table):
        self.session = session
        self.table = table

    def _stored(self, key):
        row = self.session.execute(select(self.table.c.value).where(self.table.c.key == key).with_for_update()).first()
        return UNSET if row is None else json.loads(row.value)

    def replace(self, key, value):
        """Store ``value``; returns the value stored before, or ``UNSET``."""
        before = self._stored(key)
        values = {"value": json.dumps(value), "updated_at": utcnow()}
        if before is UNSET:
            self.session.execute(self.table.insert().values(key=key, **values))
        else:
            self.session.execute(self.table.update().where(self.table.c.key == key).values(**values))
        return before

    def insert(self, key, value):
        """Store ``value`` unless the key has one already (then False; of two concurrent inserts one wins)."""
        if self._stored(key) is not UNSET:
            return False
        try:
            self.session.execute(self.table.insert().values(key=key, value=json.dumps(value), updated_at=utcnow()))
        except IntegrityError:  # another request inserted it meanwhile; this worker's session holds nothing else
            self.session.rollback()
            return False
        return True

    def commit(self):
        self.session.commit()


class MongoSettingsStore:
    """Reads and writes at once (MongoDB: the event is written to the outbox right after the change)."""

    def __init__(self, database):
        self.collection = database[MONGO_COLLECTION]

    def load(self):
        return {doc["_id"]: doc["value"] for doc in self.collection.find({})}

    def replace(self, key, value):
        before = self.collection.find_one_and_update(
            {"_id": key},
            {"$set": {"value": value, "updated_at": utcnow()}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        return UNSET if before is None else before["value"]

    def insert(self, key, value):
        try:
            self.collection.insert_one({"_id": key, "value": value, "updated_at": utcnow()})
        except DuplicateKeyError:
            return False
        return True

    def commit(self):
        pass

    def close(self):
        pass


class SettingsView:
    """What a worker sees: ``settings["name"]``, ``listing()``, ``update(name, value)``, ``create(name, value)``.

    ``update`` and ``create`` announce the change as SETTING_CHANGED through ``publish`` (the service's
    ``self.events``), saved with the change."""

    def __init__(self, provider, writer=None):
        self._provider = provider
        self._writer = writer if writer is not None else provider.store

    def __getitem__(self, key):
        return self._provider.current().get(key, self._provider.definitions[key].default)

    def _full_key(self, key):
        return f"{self._provider.service_name}.{key}"

    def listing(self):
        values = self._provider.current()
        return [
            {
                "key": self._full_key(key),
                "value": values.get(key, setting.default),
                "default": setting.default,
                "type": setting.kind.__name__,
                "description": setting.description,
            }
            for key, setting in sorted(self._provider.definitions.items())
        ]

    def update(self, key, value, publish=None):
        """Set a declared setting (404 for a key the service does not declare, 400 for a bad value)."""
        setting = self._provider.definitions.get(key)
        if setting is None:
            raise NotFound(f"No setting {key!r} in {self._provider.service_name}")
        value = setting.coerce(key, value)
        before = self._writer.replace(key, value)
        return self._saved(key, setting, before, value, publish, created=False)

    def create(self, key, value, publish=None):
        """Set a declared setting that has no stored value yet (400 for an unknown key or a bad value, 409 when
        it is set already: ``update`` changes it)."""
        setting = self._provider.definitions.get(key)
        if setting is None:
            raise ValidationError(
                f"No setting {key!r} in {self._provider.service_name}", {"key": [f"unknown setting {key!r}"]}
            )
        value = setting.coerce(key, value)
        if not self._writer.insert(key, value):
            raise Conflict(f"{self._full_key(key)} is set already; change it with PUT")
        return self._saved(key, setting, UNSET, value, publish, created=True)

    def _saved(self, key, setting, before, value, publish, created):
        if publish is not None:
            publish(
                events.SETTING_CHANGED,
                key=self._full_key(key),
                service=self._provider.service_name,
                old_value=setting.default if before is UNSET else before,
                new_value=value,
                default=setting.default,
                created=created,
            )
        self._writer.commit()
        self._provider.invalidate()
        return {"key": self._full_key(key), "value": value, "updated_at": isoformat(utcnow())}


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
        self.database = None
        if not self.definitions:
            self.store = None
        elif self.store_kind == "sql":
            uri = config["DB_URIS"][f"{self.service_name}:{self.declarative_base_name}"]
            self.store = SqlSettingsStore(uri)
            # The service's own Database (same URI): writes go through the worker's session.
            self.database = next(
                (
                    dependency
                    for dependency in self.container.dependencies
                    if isinstance(dependency, Database)
                    and dependency.declarative_base.__name__ == self.declarative_base_name
                ),
                None,
            )
            if self.database is None:
                raise RuntimeError(f"{self.service_name}: SQL settings need the service's Database dependency")
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
        if self.database is None:
            return SettingsView(self)
        return SettingsView(self, LazySqlWriter(self.database, worker_ctx, self.store.table))


class LazySqlWriter:
    """``SqlSettingsWriter`` over the worker's session, made when a write comes (most workers only read)."""

    def __init__(self, database, worker_ctx, table):
        self._database = database
        self._worker_ctx = worker_ctx
        self._table = table
        self._writer = None

    def __getattr__(self, name):
        if self._writer is None:
            session = self._database.dbs[self._worker_ctx].session
            self._writer = SqlSettingsWriter(session, self._table)
        return getattr(self._writer, name)
