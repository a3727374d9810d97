"""Failed-login accounting per identifier and client address.

Counting by the identifier typed (not by account) means a lock looks the same
whether or not the account exists, so it reveals nothing. Counting it per client
address too means nobody can lock someone else out by failing on purpose: the
lock shuts out the address that failed, and the owner logs in from theirs. The
gateway's per-address rate limit bounds how fast any one address may guess.
"""

from datetime import timedelta

from sqlalchemy import delete, select

from auth.models import LoginAttempt
from common.clock import as_utc, utcnow

CLIENT_MAX_LENGTH = 64
# An RPC without a client address (an operator, a test over RPC) is counted as this one client.
NO_CLIENT = "-"


def client_key(client):
    return (str(client or "").strip() or NO_CLIENT)[:CLIENT_MAX_LENGTH]


def locked_until(session, identifier, client):
    row = session.get(LoginAttempt, (identifier, client_key(client)))
    if row is None or row.locked_until is None:
        return None
    until = as_utc(row.locked_until)
    return until if until > utcnow() else None


def seconds_left(until):
    """Whole seconds until ``until`` (at least one): the Retry-After of a refused login."""
    return max(1, int((until - utcnow()).total_seconds() + 0.999))


def record_failure(session, identifier, client, max_failures, window_seconds, lock_seconds):
    """Count one failure; return the lock's end when this failure locks the identifier for this client."""
    now = utcnow()
    client = client_key(client)
    row = session.scalars(
        select(LoginAttempt)
        .where(LoginAttempt.identifier == identifier, LoginAttempt.client == client)
        .with_for_update()
    ).first()
    if row is None:
        row = LoginAttempt(identifier=identifier, client=client, failures=0, first_failure_at=now)
        session.add(row)
    elif as_utc(row.first_failure_at) + timedelta(seconds=window_seconds) < now:
        row.failures, row.first_failure_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= max_failures:
        row.locked_until = now + timedelta(seconds=lock_seconds)
        row.failures, row.first_failure_at = 0, now
        return row.locked_until
    return None


def clear(session, identifier, client):
    """A successful login forgets this client's failures."""
    row = session.get(LoginAttempt, (identifier, client_key(client)))
    if row is not None:
        session.delete(row)


def clear_everywhere(session, identifier):
    """A password reset (the owner proved it) lifts the identifier's locks at every address."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.identifier == identifier))
