"""A signed-in session: the platform's token pair for an account, its rotation, its end, and revoking the
access tokens already out (recorded with the change, for gateways that start later, and told in its event)."""

import uuid

from auth import refresh_tokens, revocations
from common import events
from common.accounts import ACTIVE, PENDING
from common.exceptions import Forbidden, Unauthorized
from common.ids import parse_uuid
from common.revocations import REVOKED_BEFORE, REVOKED_TOKEN_IDS, Revocation
from common.revocations import now as revoked_now

GENERIC_LOGIN_ERROR = "Invalid credentials"


def token_pair(access_token, expires_in, refresh_token, user):
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "user": user,
    }


def active_account(get_account, user_id):
    """users' account of ``user_id`` (``get_account``: its RPC), if it may sign in; else 401 or 403."""
    account = get_account(str(user_id))
    if account is None:
        raise Unauthorized(GENERIC_LOGIN_ERROR)
    if account["status"] == PENDING:
        raise Forbidden("The account is not confirmed yet; use the code sent by email")
    if account["status"] != ACTIVE:
        raise Forbidden("The account is disabled")
    return account


class Sessions:
    """The worker's session work: ``refresh_ttl`` is a refresh token's life, ``access_ttl`` an access token's
    (how long a revocation must be kept)."""

    def __init__(self, session, publish, signing, refresh_ttl, access_ttl):
        self.session = session
        self.publish = publish
        self.signing = signing
        self.refresh_ttl = refresh_ttl
        self.access_ttl = access_ttl

    def _pair(self, account, family_id, refresh_token):
        access_token = self.signing.access_token(account["id"], account["roles"], session_id=family_id)
        return token_pair(access_token, self.signing.access_ttl, refresh_token, account)

    def issue(self, account):
        """A new session's tokens; commits (with whatever the worker saved before: its event, a new link)."""
        family_id = uuid.uuid4()
        refresh_token = refresh_tokens.issue(self.session, parse_uuid(account["id"]), self.refresh_ttl, family_id)
        self.session.commit()
        return self._pair(account, family_id, refresh_token)

    def revoke(self, user_id, reason, user_wide=False, token_ids=()):
        """Record that the user's access tokens issued until now (``user_wide``), or those named, are revoked
        (with the change, not committed); the metadata that tells the gateway, for the event."""
        at = revoked_now()
        revocation = Revocation(
            str(user_id), at if user_wide else None, tuple(str(token_id) for token_id in token_ids), revoked_at=at
        )
        revocations.record(self.session, revocation, reason, self.access_ttl)
        metadata = {REVOKED_TOKEN_IDS: list(revocation.token_ids)} if token_ids else {}
        if user_wide:
            metadata[REVOKED_BEFORE] = at
        return metadata

    def rotate(self, refresh_token, check_account):
        """New tokens for a refresh token, spent by this; a spent one replayed revokes its whole session."""
        try:
            user_id, new_token = refresh_tokens.rotate(self.session, refresh_token, self.refresh_ttl)
        except refresh_tokens.ReusedToken as reuse:
            # The family's access tokens go with it: whoever replayed the token may hold one.
            revoked = self.revoke(reuse.user_id, "refresh_token_reused", token_ids=[reuse.family_id])
            self.publish(events.REFRESH_TOKEN_REUSED, user_id=reuse.user_id, **revoked)
            self.session.commit()
            raise Unauthorized("The refresh token was already used; please log in again") from None
        family_id = refresh_tokens.find(self.session, new_token).family_id
        account = check_account(user_id)
        self.session.commit()
        return self._pair(account, family_id, new_token)

    def end(self, refresh_token, caller_id, all_sessions, access_token_id):
        """Revoke the refresh token's session (or all the user's), with its access tokens: those issued with
        it, and ``access_token_id``, the one the gateway saw the caller present."""
        row = refresh_tokens.find(self.session, refresh_token)
        if row is None:
            raise Unauthorized("The refresh token is not valid")
        if caller_id and caller_id != str(row.user_id):
            raise Forbidden("That refresh token is not yours")
        if all_sessions:
            refresh_tokens.revoke_all(self.session, row.user_id)
        else:
            refresh_tokens.revoke_family(self.session, row.family_id)
        token_ids = [row.family_id] + ([access_token_id] if access_token_id else [])
        revoked = self.revoke(row.user_id, "logout", user_wide=bool(all_sessions), token_ids=token_ids)
        self.publish(events.USER_LOGGED_OUT, user_id=row.user_id, all_sessions=bool(all_sessions), **revoked)
        self.session.commit()

    def end_all_for_new_password(self, user_id, **metadata):
        """A password changed: every session of the user ends and its access tokens are refused; the
        PASSWORD_CHANGED event (with ``metadata``) is saved, not committed."""
        refresh_tokens.revoke_all(self.session, user_id)
        revoked = self.revoke(user_id, "password_changed", user_wide=True)
        self.publish(events.PASSWORD_CHANGED, user_id=user_id, **metadata, **revoked)
