"""Opaque refresh tokens: issued in families, rotated on every use.

Presenting a token that was already used (or revoked) means it leaked: the
whole family is revoked and the caller must log in again. The row lock makes
two concurrent uses of one token resolve as one rotation and one reuse.
"""

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from auth.models import RefreshToken
from common.clock import as_utc, utcnow
from common.exceptions import Unauthorized


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue(session, user_id, ttl_seconds, family_id=None):
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            family_id=family_id or uuid.uuid4(),
            user_id=user_id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    return token


class ReusedToken(Exception):
    """A spent token came back; its family is already revoked when this is raised."""

    def __init__(self, user_id, family_id=None):
        super().__init__(user_id)
        self.user_id = user_id
        self.family_id = family_id


def rotate(session, token, ttl_seconds):
    """Spend ``token`` and return ``(user_id, new_token)``."""
    row = session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == hash_token(token)).with_for_update()
    ).first()
    if row is None:
        raise Unauthorized("The refresh token is not valid")
    if row.used_at is not None or row.revoked_at is not None:
        revoke_family(session, row.family_id)
        raise ReusedToken(row.user_id, row.family_id)
    if as_utc(row.expires_at) <= utcnow():
        raise Unauthorized("The refresh token has expired")
    row.used_at = utcnow()
    return row.user_id, issue(session, row.user_id, ttl_seconds, family_id=row.family_id)


def find(session, token):
    return session.scalars(select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))).first()


def revoke_family(session, family_id):
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all(session, user_id):
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
