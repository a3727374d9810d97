"""One-time numeric codes (registration confirmation, password reset).

A code is stored hashed, expires, is spent by its first successful use, and
allows only a few wrong guesses before it is void. Issuing a new code voids
the older ones of the same purpose.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from auth.models import OneTimeCode
from common.clock import as_utc, utcnow
from common.exceptions import ValidationError

CONFIRM_REGISTRATION = "confirm_registration"
RESET_PASSWORD = "reset_password"

INVALID_CODE = "The code is not valid or has expired"


def _hash(code):
    return hashlib.sha256(code.encode()).hexdigest()


def issue(session, user_id, purpose, ttl_seconds, digits=6):
    void(session, user_id, purpose)
    code = "".join(secrets.choice("0123456789") for _ in range(digits))
    session.add(
        OneTimeCode(
            user_id=user_id,
            purpose=purpose,
            code_hash=_hash(code),
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
        )
    )
    return code


def void(session, user_id, purpose):
    """The live codes of ``purpose`` stop working (spent without use)."""
    session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose, OneTimeCode.consumed_at.is_(None))
        .values(consumed_at=utcnow())
    )


def latest_issued_at(session, user_id, purpose):
    row = session.scalars(
        select(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose)
        .order_by(OneTimeCode.created_at.desc())
    ).first()
    return None if row is None else as_utc(row.created_at)


def spend(session, user_id, purpose, code, max_attempts):
    """Spend the live code or raise ``ValidationError``.

    Wrong guesses are counted in their own commit by the caller, so they
    stick even though this raises.
    """
    row = session.scalars(
        select(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose, OneTimeCode.consumed_at.is_(None))
        .order_by(OneTimeCode.created_at.desc())
        .with_for_update()
    ).first()
    if row is None or as_utc(row.expires_at) <= utcnow() or row.attempts >= max_attempts:
        raise ValidationError(INVALID_CODE, {"code": ["invalid or expired"]})
    if not hmac.compare_digest(row.code_hash, _hash(str(code))):
        row.attempts += 1
        if row.attempts >= max_attempts:
            row.consumed_at = utcnow()
        return False
    row.consumed_at = utcnow()
    return True
