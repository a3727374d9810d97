"""The ``rpc`` entrypoint every service uses.

Domain errors are expected: Nameko logs them as warnings, not tracebacks.
"""

from nameko.rpc import rpc as nameko_rpc

from common.exceptions import DomainError


def rpc(fn=None, **options):
    options.setdefault("expected_exceptions", (DomainError,))
    if fn is None:
        return nameko_rpc(**options)
    return nameko_rpc(**options)(fn)
