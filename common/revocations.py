"""What a domain event revokes: the access tokens of a user issued before an instant, or single tokens.

Access tokens are verified in the gateway without an RPC, so a logout, a disabled or deleted account, a
lost role or a new password reaches the gateway as an event. auth (which keeps them for a gateway that
starts later) and the gateway (which refuses the tokens) read those events the same way, here.

Instants are POSIX seconds with a fraction: an access token's ``iat`` carries microseconds, so a token
issued a moment after a revocation (a new login right after a role change) is told apart from the ones
before it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from nameko.events import event_handler

from common import events
from common.clock import utcnow

# The events that revoke tokens, by the service that publishes them (the catalogue's, common.events).
REVOKING = (
    events.USER_LOGGED_OUT,
    events.PASSWORD_CHANGED,
    events.REFRESH_TOKEN_REUSED,
    events.USER_DELETED,
    events.USER_DISABLED,
    events.USER_ROLES_CHANGED,
)
REVOKING_EVENTS = {
    publisher: tuple(t for t in REVOKING if events.publisher_of(t) == publisher)
    for publisher in dict.fromkeys(events.publisher_of(t) for t in REVOKING)
}
# Every token of the user issued before the event goes (logout only when it asks for all sessions).
USER_WIDE = frozenset({events.PASSWORD_CHANGED, events.USER_DELETED, events.USER_DISABLED})

# Metadata keys of the revoking events.
REVOKED_BEFORE = "revoked_before"  # POSIX seconds: the user's tokens issued before this are revoked
REVOKED_TOKEN_IDS = "revoked_token_ids"  # jti of single tokens, or sid of sessions (refresh token families)


def handles_revoking_events(sources=tuple(REVOKING_EVENTS), **options):
    """Decorator: the method is the ``event_handler`` (with ``options``) of every revoking event of ``sources``."""

    def decorate(method):
        for source in sources:
            for event_type in REVOKING_EVENTS[source]:
                method = event_handler(source, event_type, **options)(method)
        return method

    return decorate


def now():
    """The instant of a revocation, as it travels in events and is compared with ``iat``."""
    return utcnow().timestamp()


def revoked_before_now():
    """Event metadata: the user's access tokens issued until now are revoked (if the event type revokes)."""
    return {REVOKED_BEFORE: now()}


@dataclass(frozen=True)
class Revocation:
    user_id: str
    revoked_before: float | None = None  # None: only the ``token_ids``
    token_ids: tuple = ()
    revoked_at: float = field(default_factory=now)  # it lapses one access-token lifetime later

    def applies_to(self, claims):
        if claims.get("sub") != self.user_id:
            return False
        if self.revoked_before is not None and issued_at(claims) < self.revoked_before:
            return True
        return bool({claims.get("jti"), claims.get("sid")} & set(self.token_ids))


def issued_at(claims):
    return float(claims["iat"])


def _timestamp(text):
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def roles_removed(metadata):
    return bool(set(metadata.get("before") or ()) - set(metadata.get("after") or ()))


def revocation_of(event):
    """The ``Revocation`` an event carries, or None (not a revoking event, or one that revokes nothing:
    a role granted, a logout of one session that names no token)."""
    event_type = event.get("event_type")
    user_id = event.get("user_id")
    metadata = event.get("metadata") or {}
    if not user_id or not isinstance(metadata, dict):
        return None
    happened = _timestamp(event.get("timestamp")) or now()
    user_wide = (
        event_type in USER_WIDE
        or (event_type == events.USER_LOGGED_OUT and bool(metadata.get("all_sessions")))
        or (event_type == events.USER_ROLES_CHANGED and roles_removed(metadata))
    )
    before = None
    if user_wide:
        # The publisher stamps the instant of the change; the envelope's time (milliseconds, and later than
        # the change) stands in for a publisher that does not.
        before = metadata.get(REVOKED_BEFORE)
        before = float(before) if isinstance(before, int | float) else happened
    token_ids = ()
    if event_type in (events.USER_LOGGED_OUT, events.REFRESH_TOKEN_REUSED):
        token_ids = tuple(str(token_id) for token_id in metadata.get(REVOKED_TOKEN_IDS) or () if token_id)
    if before is None and not token_ids:
        return None
    return Revocation(str(user_id), before, token_ids, revoked_at=max(before or 0.0, happened))
