"""A password login, guarded by the lockout per identifier and client address (lockout.py)."""

from sqlalchemy.exc import IntegrityError

from auth import lockout
from auth.providers.credentials import normalize_identifier
from auth.sessions import GENERIC_LOGIN_ERROR
from common import events
from common.clock import isoformat
from common.exceptions import RateLimited, Unauthorized


def check_password(session, provider, identifier, password, client, settings, publish):
    """The user id the password proves; a failure is counted (and may lock the identifier for this client)
    and committed with its event before the 401."""
    identifier = normalize_identifier(identifier)
    until = lockout.locked_until(session, identifier, client)
    if until:
        raise RateLimited("Too many failed logins; try again later", {"retry_after": lockout.seconds_left(until)})
    user_id = provider.authenticate(identifier, password)
    if user_id is not None:
        lockout.clear(session, identifier, client)
        return user_id
    try:
        until = lockout.record_failure(
            session,
            identifier,
            client,
            settings["max_failed_logins"],
            settings["failure_window_seconds"],
            settings["lockout_seconds"],
        )
        session.commit()
    except IntegrityError:  # a concurrent first failure created the row
        session.rollback()
        until = None
    publish(events.LOGIN_FAILED, identifier=identifier, locked=until is not None)
    if until is not None:
        # The owner, if the identifier is an account's, hears of the lock (a security message to them, never an
        # answer to the caller: the login still says nothing about whether the account exists).
        owner = provider.find_user_id(identifier)
        if owner is not None:
            publish(events.ACCOUNT_LOCKED, user_id=owner, locked_until=isoformat(until))
    session.commit()
    raise Unauthorized(GENERIC_LOGIN_ERROR)
