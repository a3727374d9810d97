"""The server-side half of an SSO/OAuth sign-in: ``state`` and the PKCE verifier, single use and expiring."""

import base64
import hashlib
import secrets
from datetime import UTC, timedelta

from sqlalchemy import delete, select

from auth.models import SignInState
from common.clock import utcnow
from common.exceptions import Unauthorized

INVALID_STATE = "The sign-in state is unknown, expired or already used; start the sign-in again"


def _hash(state):
    return hashlib.sha256(str(state).encode()).hexdigest()


def pkce_challenge(code_verifier):
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def start(session, provider, redirect_uri, ttl_seconds, pkce=True):
    """A fresh ``(state, code_verifier)``; only the state's hash is kept with the verifier.

    ``pkce=False`` (a sign-in whose authorize request cannot carry a challenge, such as the one Cognito's
    /logout starts) keeps no verifier and gives ``None``: the code exchange then sends none.
    """
    state = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64) if pkce else None  # 86 characters, within RFC 7636's 43..128
    now = utcnow()
    session.execute(delete(SignInState).where(SignInState.expires_at < now))  # forget abandoned sign-ins
    session.add(
        SignInState(
            state_hash=_hash(state),
            provider=provider,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl_seconds),
        )
    )
    return state, code_verifier


def spend(session, provider, state):
    """``(code_verifier or None, redirect_uri)`` of a live ``state`` of this provider, deleted so it cannot
    serve twice; else 401.

    The DELETE's row count settles two callbacks racing with one state: only one of them deletes it.
    """
    if not state:
        raise Unauthorized(INVALID_STATE)
    state_hash = _hash(state)
    row = session.scalars(select(SignInState).where(SignInState.state_hash == state_hash)).first()
    if row is None:
        raise Unauthorized(INVALID_STATE)
    found = (row.provider, row.code_verifier, row.redirect_uri, row.expires_at)
    session.expunge(row)
    deleted = session.execute(delete(SignInState).where(SignInState.state_hash == state_hash)).rowcount
    session.commit()
    provider_of_state, code_verifier, redirect_uri, expires_at = found
    if deleted != 1 or provider_of_state != provider or _aware(expires_at) <= utcnow():
        raise Unauthorized(INVALID_STATE)
    return code_verifier, redirect_uri


def _aware(moment):
    # SQLite hands timestamps back without a zone; they were stored as UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
