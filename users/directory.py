"""Listing and searching users."""

import uuid
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from common.clock import as_utc
from common.exceptions import ValidationError
from common.pagination import offset_of
from common.roles import normalize_role
from users.models import User, UserRole


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matching(text=None, role=None, status=None, match_email=True):
    query = select(User)
    if text:
        pattern = f"%{_escape_like(text.strip().lower())}%"
        columns = [User.name, User.username] + ([User.email] if match_email else [])
        query = query.where(or_(*(func.lower(column).like(pattern, escape="\\") for column in columns)))
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == normalize_role(role))))
    if status:
        query = query.where(User.status == status)
    return query


def find_users(session, page, page_size, text=None, role=None, status=None, match_email=True, visible_to=None):
    """``(users, total)`` matching a case-insensitive text, a role and a status (and ``visible_to``, a
    condition from users/visibility.py: applied before counting and paging, so totals match the pages)."""
    query = _matching(text, role, status, match_email)
    if visible_to is not None:
        query = query.where(visible_to)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    users = session.scalars(
        query.order_by(User.created_at.desc(), User.id).offset(offset_of(page, page_size)).limit(page_size)
    ).all()
    return users, total


# -- paging by key: a walk through every account that nothing done meanwhile can shift ------------------------


def key_of(user):
    """The position of ``user`` in the walk (oldest first): ``<created_at ISO, microseconds>|<id>``."""
    return f"{as_utc(user.created_at).isoformat()}|{user.id}"


def parse_key(text):
    """``(created_at, id)`` of a ``key_of``; anything else is refused (400)."""
    try:
        moment, _, user_id = str(text).partition("|")
        return as_utc(datetime.fromisoformat(moment)), uuid.UUID(user_id)
    except ValueError:
        raise ValidationError("Not a position in the list of accounts", {"after": ["malformed"]}) from None


def accounts_after(session, after, limit, role=None, status=None):
    """Up to ``limit`` accounts with a role and status, oldest first, strictly after the position ``after``
    (``(created_at, id)``, or None from the start).

    Unlike an offset, the position does not move when an account already passed is removed or disabled, so a
    walk through every account (an announcement's fan-out) skips nobody; accounts made meanwhile come at the end.
    """
    query = _matching(role=role, status=status)
    if after is not None:
        created_at, user_id = after
        query = query.where(or_(User.created_at > created_at, and_(User.created_at == created_at, User.id > user_id)))
    return session.scalars(query.order_by(User.created_at, User.id).limit(limit)).all()
