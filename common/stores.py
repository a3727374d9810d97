"""Stores: a service's queries in repository classes, one per aggregate, given to workers as one dependency.

In the spirit of nameko-examples' ``Storage``: ``service.py`` never queries a
store itself; it calls ``self.store.<aggregate>.<query>(...)``. A repository
is a plain class built on a SQLAlchemy session or a MongoDB database, so it is
tested without Nameko::

    class CoachingService(PlatformService):
        store = SqlStore(Base, profiles=ProfileRepository, sessions=SessionRepository)

    self.store.sessions.book(...); self.store.commit()

Every repository of one worker shares the worker's session, so one commit
saves them together (and the events written to the outbox with them).
"""

from common.mongo import MongoDatabase
from common.sql import Database


class Repositories:
    """One worker's repositories over one connection (``connection()`` is the session or the database)."""

    def __init__(self, connection, classes):
        self._connection = connection
        self._classes = classes
        self._built = {}

    @property
    def session(self):
        return self._connection()

    def commit(self):
        self._connection().commit()

    def __getattr__(self, name):
        classes = self.__dict__.get("_classes") or {}
        if name not in classes:
            raise AttributeError(name)
        if name not in self._built:
            self._built[name] = classes[name](self._connection())
        return self._built[name]


class SqlStore(Database):
    """``Database(Base)`` whose dependency is the service's repositories over the worker's session."""

    def __init__(self, declarative_base, session_options=None, engine_options=None, **repositories):
        super().__init__(declarative_base, session_options=session_options, engine_options=engine_options)
        self.repositories = repositories

    def get_dependency(self, worker_ctx):
        database = super().get_dependency(worker_ctx)
        return Repositories(lambda: database.session, self.repositories)


class MongoStore(MongoDatabase):
    """The service's MongoDB database, given to workers as its repositories."""

    def __init__(self, ensure_indexes=None, **repositories):
        super().__init__(ensure_indexes)
        self.repositories = repositories

    def get_dependency(self, worker_ctx):
        database = super().get_dependency(worker_ctx)
        return Repositories(lambda: database, self.repositories)
