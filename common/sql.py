"""The SQL services' database provider: nameko-sqlalchemy's, with engines that never wait for ever.

PostgreSQL: a connect timeout (``DB_CONNECT_TIMEOUT`` seconds) and a statement
timeout (``DB_STATEMENT_TIMEOUT_MS``), so a hung database fails the call instead
of holding a worker. Eventlet makes psycopg2 asynchronous, and libpq ignores its
own ``connect_timeout`` then: the deadline on connecting is a green timeout.

SQLite (embedded mode): every service runs as greenthreads of one process. WAL
lets readers run beside a writer, but SQLite's own wait for a lock (the busy
timeout) sleeps the whole process, so a greenthread that waits there stops the
very greenthread holding the lock, and then fails with "database is locked".
Writers of one file therefore queue on a green lock held from their first
write (or ``SELECT ... FOR UPDATE``, which SQLite cannot express) to commit or
rollback; the busy timeout remains for other processes (``python -m bootstrap``).
"""

import threading

import eventlet
import nameko_sqlalchemy
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

DEFAULT_CONNECT_TIMEOUT = 5
DEFAULT_STATEMENT_TIMEOUT_MS = 30000

HOLDS_WRITE_LOCK = "holds_write_lock"


def engine_options(url, config):
    """``create_engine`` keyword arguments for this database URL under ``config``."""
    connect_timeout = config.get("DB_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)
    statement_timeout_ms = int(config.get("DB_STATEMENT_TIMEOUT_MS", DEFAULT_STATEMENT_TIMEOUT_MS))
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        return {
            "connect_args": {
                "connect_timeout": max(1, round(float(connect_timeout))),
                "options": f"-c statement_timeout={statement_timeout_ms}",
            }
        }
    if backend == "sqlite":
        # Greenthreads share the one OS thread, so pysqlite's same-thread check only gets in the way.
        return {"connect_args": {"timeout": statement_timeout_ms / 1000, "check_same_thread": False}}
    return {}


_write_locks = {}


def _write_lock_for(url):
    # One per database file, however many engines point at it.
    return _write_locks.setdefault(str(url), threading.Lock())


def _is_write(statement, context):
    if statement.lstrip()[:6].upper() not in ("SELECT", "PRAGMA"):
        return True
    compiled = getattr(context, "compiled", None)
    return getattr(getattr(compiled, "statement", None), "_for_update_arg", None) is not None


def serialise_sqlite_writers(engine, timeout):
    """WAL and a busy timeout on every connection; one writer at a time per file (see the module's doc)."""
    lock = _write_lock_for(engine.url)

    @event.listens_for(engine, "connect")
    def set_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def wait_for_write_lock(connection, _cursor, statement, parameters, context, _executemany):
        if connection.info.get(HOLDS_WRITE_LOCK) or not _is_write(statement, context):
            return
        if not lock.acquire(timeout=timeout):
            raise OperationalError(statement, parameters, TimeoutError(f"no write turn on {engine.url} in {timeout} s"))
        connection.info[HOLDS_WRITE_LOCK] = True

    def release(info):
        # The transaction ends without a switch to another greenthread (SQLite calls are not green), so releasing
        # here, just before the driver's commit or rollback, lets the next writer in only after it.
        if info.pop(HOLDS_WRITE_LOCK, False):
            lock.release()

    event.listen(engine, "commit", lambda connection: release(connection.info))
    event.listen(engine, "rollback", lambda connection: release(connection.info))
    # A connection given back to the pool with its transaction still open is rolled back there; an invalidated
    # one has lost its transaction.
    event.listen(engine.pool, "checkin", lambda _dbapi_connection, record: release(record.info))
    event.listen(engine.pool, "invalidate", lambda _dbapi_connection, record, _exc: release(record.info))


def limit_connect_time(engine, seconds):
    @event.listens_for(engine, "do_connect")
    def connect_within_deadline(dialect, _record, cargs, cparams):
        timeout = dialect.loaded_dbapi.OperationalError(f"connection timeout: no answer in {seconds} s")
        with eventlet.Timeout(seconds, timeout):
            return dialect.connect(*cargs, **cparams)


class Database(nameko_sqlalchemy.Database):
    """``Database(Base)`` as in nameko-sqlalchemy, with the engine options above."""

    def setup(self):
        config = self.container.config
        url = config[nameko_sqlalchemy.database.DB_URIS_KEY][
            f"{self.container.service_name}:{self.declarative_base.__name__}"
        ]
        self.engine_options = {**engine_options(url, config), **self.engine_options}
        super().setup()
        backend = self.engine.url.get_backend_name()
        if backend == "postgresql":
            limit_connect_time(self.engine, float(config.get("DB_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT)))
        elif backend == "sqlite":
            timeout = int(config.get("DB_STATEMENT_TIMEOUT_MS", DEFAULT_STATEMENT_TIMEOUT_MS)) / 1000
            serialise_sqlite_writers(self.engine, timeout)
