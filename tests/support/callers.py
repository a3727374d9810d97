"""Caller identities for unit tests that run a service through ``worker_factory``."""

from common.context import CallerContext


class WorkerCtx:
    """Just what ``CallerContext`` reads of a Nameko worker context."""

    def __init__(self, data=None):
        self.data = dict(data or {})


def from_gateway(user_id=None, roles=()):
    """The caller as the gateway sets it: ``user_id`` None is an anonymous HTTP client, trusted with nothing."""
    context = CallerContext(WorkerCtx())
    context.assume(user_id, roles, "req")
    return context


def caller(user_id=None, roles=()):
    """No user: an internal (operator or service) call, trusted; a user: as the gateway sets it."""
    if user_id is None and not roles:
        return CallerContext(WorkerCtx())
    return from_gateway(user_id, roles)
