"""The transactional outbox: a domain event is saved with the change that causes it, then relayed to the broker.

* SQL services keep an ``outbox`` table (``OutboxRecord``, one migration each). The event's row is added to the
  worker's session, so the commit that saves the change saves the event, and a rollback drops both.
* MongoDB services keep an ``outbox`` collection. MongoDB without transactions cannot write both atomically:
  the entry is written right after the change, under the envelope's ``event_id`` (``_id``) with
  ``$setOnInsert``, so a retry that writes the same occurrence again (an id derived from the change) is a no-op.
* The relay publishes pending entries in insertion order, with publisher confirms, and deletes (SQL) or marks
  (MongoDB) each one only once the broker has confirmed it: delivery is at least once, and a republished entry
  carries the ``event_id`` fixed when it was written, which consumers are idempotent on. One relay at a time
  per service: a lock in the process, and on PostgreSQL a transaction-scoped advisory lock taken with
  ``pg_try_advisory_xact_lock`` (the rows are also claimed ``FOR UPDATE SKIP LOCKED``); MongoDB entries are
  claimed one by one with a lease.

docs/reliability.md describes the guarantee.
"""

import json
import logging
import zlib
from datetime import datetime, timedelta

from bson import ObjectId
from pymongo import ASCENDING, ReturnDocument
from sqlalchemy import BigInteger, DateTime, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from common.clock import utcnow

log = logging.getLogger(__name__)

TABLE = "outbox"
COLLECTION = "outbox"


class OutboxRecord:
    """Mixin of each SQL service's outbox model: ``class OutboxMessage(OutboxRecord, Base)``."""

    __tablename__ = TABLE

    # Insertion order is publication order; SQLite only counts up an INTEGER primary key.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # the envelope, JSON
    headers: Mapped[str] = mapped_column(Text)  # the AMQP headers (Nameko's context data) of the writing worker
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RelayFailed(Exception):
    """Publishing stopped at an entry the broker did not take; it and those after it stay for the next run."""


class SqlOutbox:
    """The outbox table of one service: ``add`` to a worker's session, ``relay`` with a connection of its own."""

    def __init__(self, model, engine_of, lock_name):
        self.model = model
        self.table = model.__table__
        self.engine_of = engine_of  # the engine is made by the Database provider's setup: read it when needed
        self.lock_key = zlib.crc32(f"outbox:{lock_name}".encode()) - 2**31

    def add(self, session, event, headers):
        session.add(
            self.model(
                event_id=event["event_id"],
                event_type=event["event_type"],
                payload=json.dumps(event),
                headers=json.dumps(headers),
            )
        )

    def pending_count(self):
        with self.engine_of().connect() as conn:
            return conn.scalar(select(func.count()).select_from(self.table))

    def relay(self, publish, batch_size):
        """Publish pending rows oldest first, ``batch_size`` per short transaction, deleting each confirmed one;
        returns how many were published. Raises ``RelayFailed`` at the first failure (that row stays)."""
        table = self.table
        sent = 0
        while True:
            engine = self.engine_of()
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql" and not conn.scalar(
                    select(func.pg_try_advisory_xact_lock(self.lock_key))
                ):
                    return sent  # another replica is relaying; it runs until nothing is left
                rows = conn.execute(
                    select(table.c.id, table.c.event_type, table.c.payload, table.c.headers)
                    .order_by(table.c.id)
                    .limit(batch_size)
                    .with_for_update(skip_locked=True)
                ).all()
                done, failure = [], None
                for row in rows:
                    try:
                        publish(row.event_type, json.loads(row.payload), json.loads(row.headers or "{}"))
                    except Exception as exc:  # noqa: BLE001 -- whatever the broker did, the row waits
                        failure = exc
                        break
                    done.append(row.id)
                if done:
                    conn.execute(delete(table).where(table.c.id.in_(done)))
            sent += len(done)
            if failure is not None:
                raise RelayFailed(f"{sent} published, then: {failure!r}") from failure
            if len(rows) < batch_size:
                return sent


class MongoOutbox:
    """The outbox collection of one service: entries keyed by ``event_id``, claimed with a lease."""

    def __init__(self, collection, retention_seconds, lease_seconds):
        self.collection = collection
        self.retention_seconds = int(retention_seconds)
        self.lease = timedelta(seconds=float(lease_seconds))

    def ensure_indexes(self):
        self.collection.create_index([("published_at", ASCENDING), ("seq", ASCENDING)])
        # Published entries expire; the retention also bounds how long a repeated write stays a no-op.
        self.collection.create_index("published_at", expireAfterSeconds=self.retention_seconds, name="expiry")

    def add(self, event, headers):
        self.collection.update_one(
            {"_id": event["event_id"]},
            {
                "$setOnInsert": {
                    "seq": ObjectId(),  # about insertion order, across processes too
                    "event_type": event["event_type"],
                    "payload": event,
                    "headers": json.dumps(headers),  # AMQP header names have dots: kept as text
                    "created_at": utcnow(),
                    "published_at": None,
                    "lease_until": None,
                }
            },
            upsert=True,
        )

    def pending_count(self):
        return self.collection.count_documents({"published_at": None})

    def relay(self, publish, batch_size):
        sent = 0
        for _ in range(batch_size):
            now = utcnow()
            entry = self.collection.find_one_and_update(
                {"published_at": None, "$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}]},
                {"$set": {"lease_until": now + self.lease}},
                sort=[("seq", ASCENDING)],
                return_document=ReturnDocument.AFTER,
            )
            if entry is None:
                return sent
            try:
                publish(entry["event_type"], entry["payload"], json.loads(entry.get("headers") or "{}"))
            except Exception as exc:  # noqa: BLE001
                self.collection.update_one({"_id": entry["_id"]}, {"$set": {"lease_until": None}})
                raise RelayFailed(f"{sent} published, then: {exc!r}") from exc
            self.collection.update_one(
                {"_id": entry["_id"]}, {"$set": {"published_at": utcnow()}, "$unset": {"lease_until": ""}}
            )
            sent += 1
        return sent
