"""Identifiers that arrive as text (path arguments, RPC arguments)."""

import uuid

from common.exceptions import NotFound


def parse_uuid(value, what="user"):
    """The UUID in ``value``; a malformed id names nothing, so it is a 404."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such {what}") from None
