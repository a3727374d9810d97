"""Failed-login accounting per identifier.

Counting by the identifier typed (not by account) means a lock looks the same
whether or not the account exists, so it reveals nothing.
"""

from datetime import timedelta

from sqlalchemy import select

from auth.models import LoginAttempt
from common.clock import as_utc, utcnow


def locked_until(session, identifier):
    row = session.get(LoginAttempt, identifier)
    if row is None or row.locked_until is None:
        return None
    until = as_utc(row.locked_until)
    return until if until > utcnow() else None


def record_failure(session, identifier, max_failures, window_seconds, lock_seconds):
    """Count one failure; return the lock's end when this failure locks the identifier."""
    now = utcnow()
    row = session.scalars(select(LoginAttempt).where(LoginAttempt.identifier == identifier).with_for_update()).first()
    if row is None:
        row = LoginAttempt(identifier=identifier, failures=0, first_failure_at=now)
        session.add(row)
    elif as_utc(row.first_failure_at) + timedelta(seconds=window_seconds) < now:
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= max_failures:
        row.locked_until = now + timedelta(seconds=lock_seconds)
        row.failures, row.first_failure_at = 0, now
        return row.locked_until
    return None


def clear(session, identifier):
    row = session.get(LoginAttempt, identifier)
    if row is not None:
        session.delete(row)
