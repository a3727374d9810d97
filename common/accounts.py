"""An account as users answers it: the full profile, which auth's token answers carry too."""

from marshmallow import Schema, fields

from common.roles import ROLES

PENDING = "pending"
ACTIVE = "active"
DISABLED = "disabled"
STATUSES = (PENDING, ACTIVE, DISABLED)


class User(Schema):
    """A full profile: the user themself, an admin or an internal caller sees it."""

    id = fields.String(required=True)
    email = fields.String(required=True)
    username = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    provider = fields.String(required=True)
    provider_id = fields.String(required=True, allow_none=True)
    roles = fields.List(fields.String(), required=True)
    role = fields.String(required=True, allow_none=True, metadata={"description": "the strongest role"})
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    bio = fields.String(required=True, allow_none=True)
    avatar_url = fields.String(required=True, allow_none=True)
    timezone = fields.String(required=True, allow_none=True)
    locale = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


def strongest_role(roles):
    """The one role a client that knows of one per user shows: the strongest held."""
    for role in reversed(ROLES):
        if role in roles:
            return role
    return None
