"""auth's record of revoked access tokens, for gateways that start after a revocation.

The gateway learns revocations from events as they happen; one that starts later (or restarts, keeping
them in memory only) asks auth for those still in force: younger than one access-token lifetime. auth
records its own (logout, password, refresh token reuse) with the change itself, and those of users
(account disabled or deleted, a role taken away) from users' events, once per event.
"""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from auth.models import TokenRevocation
from common.ids import parse_uuid
from common.revocations import now, revocation_of


def record(session, revocation, reason, ttl, event_id=None):
    """Add the rows of ``revocation`` (not committed), and forget those that lapsed long ago."""
    forget_lapsed(session, ttl)
    user_id = parse_uuid(revocation.user_id)
    rows = []
    if revocation.revoked_before is not None:
        rows.append(TokenRevocation(user_id=user_id, revoked_before=revocation.revoked_before))
    rows += [TokenRevocation(user_id=user_id, token_id=token_id) for token_id in revocation.token_ids]
    for index, row in enumerate(rows):
        row.revoked_at = revocation.revoked_at
        row.reason = reason
        # One users event gives one set of rows: the first carries its id, the others follow it.
        row.event_id = event_id if index == 0 else None
    session.add_all(rows)
    return rows


def record_event(session, revocation, reason, ttl, event_id):
    """Record the revocation a redelivered event may carry again; True if it was new. Commits."""
    record(session, revocation, reason, ttl, event_id=event_id)
    try:
        session.commit()
    except IntegrityError:  # the same event, seen before
        session.rollback()
        return False
    return True


def record_users_event(session, event, ttl):
    """A users event that revokes access (account disabled or deleted, a role taken away), kept once."""
    revocation = revocation_of(event)
    if revocation is not None:
        record_event(session, revocation, event["event_type"].lower(), ttl, event["event_id"])


def forget_lapsed(session, ttl, older_than=None):
    """Delete the rows that lapsed (kept twice the lifetime: the table stays small, a clock a little off
    loses nothing)."""
    cutoff = (older_than if older_than is not None else now()) - 2 * ttl
    session.execute(delete(TokenRevocation).where(TokenRevocation.revoked_at < cutoff))


def active(session, ttl):
    """The revocations in force, as the gateway loads them: ``[{user_id, revoked_before, token_ids,
    revoked_at}]``, one per row."""
    since = now() - ttl
    rows = session.scalars(
        select(TokenRevocation).where(TokenRevocation.revoked_at > since).order_by(TokenRevocation.revoked_at)
    ).all()
    return [
        {
            "user_id": str(row.user_id),
            "revoked_before": row.revoked_before,
            "token_ids": [row.token_id] if row.token_id else [],
            "revoked_at": row.revoked_at,
        }
        for row in rows
    ]
