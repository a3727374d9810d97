"""The platform's roles and how names given by clients map onto them."""

from common.exceptions import ValidationError

LEARNER = "learner"
INSTRUCTOR = "instructor"
COACH = "coach"
ADMIN = "admin"

ROLES = (LEARNER, INSTRUCTOR, COACH, ADMIN)
ALIASES = {"student": LEARNER}


def normalize_role(name):
    role = ALIASES.get(str(name).strip().lower(), str(name).strip().lower())
    if role not in ROLES:
        raise ValidationError(f"Unknown role {name!r}", {"roles": [f"must be one of {', '.join(ROLES)}"]})
    return role


def normalize_roles(names):
    """Unique, known roles in a stable order; a user always has at least one."""
    roles = {normalize_role(name) for name in names}
    if not roles:
        raise ValidationError("A user needs at least one role", {"roles": ["must not be empty"]})
    return [role for role in ROLES if role in roles]
