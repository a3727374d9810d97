"""The caller's identity and the correlation id, carried in Nameko context data.

The gateway writes them with ``assume``; every service reads them through the
``Caller`` dependency. Keys in ``worker_ctx.data`` travel with every RPC call
and event as AMQP headers, so a whole chain of calls shares them. A call with
no user is an internal or operator call and is trusted.
"""

from nameko.extensions import DependencyProvider

from common.exceptions import Forbidden, Unauthorized
from common.roles import ADMIN

USER_ID_KEY = "user_id"
ROLES_KEY = "roles"
REQUEST_ID_KEY = "request_id"
ORIGIN_KEY = "origin"
# The HTTP client's address as the gateway sees it (auth counts failed logins per address).
CLIENT_ADDRESS_KEY = "client_address"
FROM_GATEWAY = "gateway"


class CallerContext:
    def __init__(self, worker_ctx):
        self._data = worker_ctx.data

    @property
    def user_id(self):
        return self._data.get(USER_ID_KEY) or None

    @property
    def roles(self):
        raw = self._data.get(ROLES_KEY) or ""
        # The gateway sends "a,b" (AMQP headers); an operator's proxy may well pass a list.
        names = raw.split(",") if isinstance(raw, str) else raw
        return tuple(str(role) for role in names if role)

    @property
    def request_id(self):
        return self._data.get(REQUEST_ID_KEY)

    @property
    def client_address(self):
        return self._data.get(CLIENT_ADDRESS_KEY) or None

    @property
    def is_internal(self):
        return self._data.get(ORIGIN_KEY) != FROM_GATEWAY

    @property
    def is_admin(self):
        return self.is_internal or ADMIN in self.roles

    def has_any_role(self, *roles):
        return self.is_internal or any(role in self.roles for role in roles)

    def assume(self, user_id, roles, request_id):
        """Set who is calling; only the gateway does this, per HTTP request."""
        if user_id is None:
            self._data.pop(USER_ID_KEY, None)
            self._data.pop(ROLES_KEY, None)
        else:
            self._data[USER_ID_KEY] = str(user_id)
            self._data[ROLES_KEY] = ",".join(roles)
        self._data[REQUEST_ID_KEY] = request_id
        self._data[ORIGIN_KEY] = FROM_GATEWAY

    def assume_client(self, address):
        """Set the HTTP client's address; only the gateway does this, per HTTP request."""
        self._data[CLIENT_ADDRESS_KEY] = str(address)

    def require_user(self):
        """The calling user's id; anonymous and internal calls have none and are refused here."""
        if self.user_id is None:
            raise Unauthorized("This operation needs a signed-in user")
        return self.user_id

    def require_role(self, *roles):
        if not self.has_any_role(*roles):
            raise Forbidden(f"This needs the role {' or '.join(roles)}")

    def require_self_or_admin(self, user_id):
        if not (self.is_admin or str(user_id) == self.user_id):
            raise Forbidden("You may only do this for yourself")


class Caller(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return CallerContext(worker_ctx)
