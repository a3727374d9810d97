"""users' records as they go on the wire (the shapes in contracts.py)."""

from common.accounts import strongest_role
from common.clock import isoformat


def public_profile(user):
    """What anyone signed in may see of someone else."""
    return {
        "id": str(user.id),
        "username": user.username,
        "name": user.name,
        "roles": user.roles,
        "bio": user.bio,
        "avatar_url": user.avatar_url,
    }


def full_profile(user):
    """The full profile: for the user, admins and internal callers."""
    return {
        **public_profile(user),
        "email": user.email,
        "provider": user.provider,
        "provider_id": user.provider_id,
        # Clients written for one role per user read the strongest one.
        "role": strongest_role(user.roles),
        "status": user.status,
        "timezone": user.timezone,
        "locale": user.locale,
        "created_at": isoformat(user.created_at),
        "updated_at": isoformat(user.updated_at),
    }


def account_summary(user):
    """What an internal caller needs to reach someone (notifications: the address and the name)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "username": user.username,
        "status": user.status,
        # notifications writes times in the reader's zone and language
        "timezone": user.timezone,
        "locale": user.locale,
    }
