"""Entrypoints every service has: ``health`` and the runtime-settings RPC pair.

A service class inherits these and declares ``name``, ``caller`` (a
``Caller``) and ``settings`` (a ``RuntimeSettings``); ``stats`` is its own.
"""

from common import logs
from common.roles import ADMIN
from common.rpc import rpc

VERSION = "1.0.0"

logs.install()  # every service's expected errors (DomainError) log as one line


class PlatformService:
    @rpc
    def health(self):
        return {"status": "ok", "service": self.name, "version": VERSION}

    @rpc
    def list_settings(self):
        self.caller.require_role(ADMIN)
        return self.settings.listing()

    @rpc
    def update_setting(self, key, value):
        self.caller.require_role(ADMIN)
        return self.settings.update(key, value)
