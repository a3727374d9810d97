"""Listing and searching users."""

from sqlalchemy import func, or_, select

from common.pagination import offset_of
from common.roles import normalize_role
from users.models import User, UserRole


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_users(session, page, page_size, text=None, role=None, status=None, match_email=True):
    """``(users, total)`` matching a case-insensitive text, a role and a status."""
    query = select(User)
    if text:
        pattern = f"%{_escape_like(text.strip().lower())}%"
        columns = [User.name, User.username] + ([User.email] if match_email else [])
        query = query.where(or_(*(func.lower(column).like(pattern, escape="\\") for column in columns)))
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == normalize_role(role))))
    if status:
        query = query.where(User.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    users = session.scalars(
        query.order_by(User.created_at.desc(), User.id).offset(offset_of(page, page_size)).limit(page_size)
    ).all()
    return users, total
