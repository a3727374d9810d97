"""Domain errors raised by services and mapped to HTTP statuses by the gateway.

Every class is registered with Nameko so that it crosses RPC as itself rather
than as a ``RemoteError``. Constructor arguments are kept in ``args`` because
that is what Nameko serialises; the details travel there as JSON, since Nameko
would turn every number, boolean and null in them into a string.
"""

import json

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    """Base of every error a client may see."""

    code = "INTERNAL_ERROR"
    status = 500
    default_message = "Internal error"

    def __init__(self, message=None, details=None):
        message = message or self.default_message
        if isinstance(details, str):  # as it arrives over RPC
            details = json.loads(details)
        details = details or {}
        super().__init__(message, json.dumps(details, default=str))
        self.message = message
        self.details = details

    def __str__(self):
        return self.message

    def to_dict(self):
        return {"code": self.code, "message": self.message, "details": self.details}


@deserialize_to_instance
class ValidationError(DomainError):
    code = "VALIDATION_ERROR"
    status = 400
    default_message = "The request is not valid"


@deserialize_to_instance
class Unauthorized(DomainError):
    code = "UNAUTHORIZED"
    status = 401
    default_message = "Authentication is required"


@deserialize_to_instance
class Forbidden(DomainError):
    code = "FORBIDDEN"
    status = 403
    default_message = "You are not allowed to do this"


@deserialize_to_instance
class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404
    default_message = "Not found"


@deserialize_to_instance
class MethodNotAllowed(DomainError):
    code = "METHOD_NOT_ALLOWED"
    status = 405
    default_message = "Method not allowed"


@deserialize_to_instance
class Conflict(DomainError):
    code = "CONFLICT"
    status = 409
    default_message = "Conflict with the current state"


@deserialize_to_instance
class PayloadTooLarge(DomainError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413
    default_message = "The request body is too large"


@deserialize_to_instance
class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429
    default_message = "Too many requests; try again later"


@deserialize_to_instance
class InternalError(DomainError):
    pass


@deserialize_to_instance
class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
    status = 503
    default_message = "A service did not answer in time"


@deserialize_to_instance
class NotConfigured(NotFound):
    """A feature this deployment has not set up (a sign-in provider, say): the client's to know, not a fault."""

    code = "NOT_CONFIGURED"
    default_message = "This is not configured here"
