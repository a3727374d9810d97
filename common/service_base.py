"""Entrypoints every service has: ``health`` (which checks the service's store) and the runtime-settings RPCs.

A service class inherits these and declares ``name``, ``caller`` (a
``Caller``), ``settings`` (a ``RuntimeSettings``) and ``events`` (its
``DomainEvents``: a setting's change is announced there); ``stats`` is its own.
"""

from common import broker_survival, logs
from common import health as health_checks
from common.config_check import StartupCheck
from common.logs import WorkerLogContext
from common.metrics import WorkerMetrics
from common.mongo import MongoDatabase
from common.roles import ADMIN
from common.rpc import rpc
from common.tracing import WorkerTracing

# Every service (the gateway too) imports this module: a lost broker connection must end none of them.
broker_survival.install()

VERSION = "1.0.0"

logs.install()  # every service's expected errors (DomainError) log as one line


class PlatformService:
    # Every service's workers write who and which request into their log lines, are counted and timed,
    # and are spans of the request's trace.
    log_context = WorkerLogContext()
    worker_metrics = WorkerMetrics()
    tracing = WorkerTracing()
    startup_check = StartupCheck()

    @rpc
    def health(self, detail=False):
        """``ok`` or ``degraded`` with each store's status and latency; ``detail`` adds why a check failed
        (asked by the admin view; the public health route shows no internal addresses)."""
        checks = self.store_checks()
        if not detail:
            checks = {name: {k: v for k, v in entry.items() if k != "reason"} for name, entry in checks.items()}
        return health_checks.report(self.name, VERSION, checks)

    def store_checks(self):
        """The service's own store, ``store`` (its repositories, common/stores.py) or ``db``: a SQL database
        (nameko-sqlalchemy) or a MongoDB database."""
        if hasattr(type(self), "store"):
            provider, connection = type(self).store, self.store.session  # the worker's session or database
        elif hasattr(type(self), "db"):
            provider = type(self).db
            connection = self.db if isinstance(provider, MongoDatabase) else self.db.session
        else:
            return {}
        if isinstance(provider, MongoDatabase):
            return {"mongodb": health_checks.check(health_checks.mongo_probe(connection))}
        return {"database": health_checks.check(health_checks.sql_probe(connection))}

    @rpc
    def list_settings(self):
        self.caller.require_role(ADMIN)
        return self.settings.listing()

    @rpc
    def update_setting(self, key, value):
        """Change a declared setting (404 for a key the service does not declare)."""
        self.caller.require_role(ADMIN)
        return self.settings.update(key, value, publish=self.events)

    @rpc
    def create_setting(self, key, value):
        """Set a declared setting that has no stored value yet (400 unknown key, 409 set already)."""
        self.caller.require_role(ADMIN)
        return self.settings.create(key, value, publish=self.events)
