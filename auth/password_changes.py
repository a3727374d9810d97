"""A password reset by emailed code, a change by the user, a setting by an admin: each checked by the policy,
and each ends every session of the user (auth/sessions.py)."""

from auth import lockout, password_policy
from auth.providers.credentials import normalize_identifier
from common import events

RESET_MESSAGE = "If an account matches, a reset code has been sent"


def request_reset(provider, identifier, publish):
    """The event that sends the code, when an account matches (saved, not committed); the same answer either way."""
    started = provider.start_password_reset(identifier)
    if started is not None:
        user_id, email, code = started
        publish(events.PASSWORD_RESET_REQUESTED, user_id=user_id, email=email, code=code)
    return {"message": RESET_MESSAGE}


def reset(session, provider, sessions, identifier, code, new_password):
    # What the caller typed is checked at once; the account's own names only once the code is accepted,
    # so a reset never tells a stranger which username an email has.
    password_policy.check(new_password, (identifier,), field="new_password")
    user_id = provider.confirm_password_reset(
        identifier,
        code,
        new_password,
        vet=lambda *names: password_policy.check(new_password, names, field="new_password"),
    )
    sessions.end_all_for_new_password(user_id, reason="reset")
    lockout.clear_everywhere(session, normalize_identifier(identifier))
    return {"message": "The password has been reset; log in with the new one"}


def change(provider, sessions, user_id, current_password, new_password):
    password_policy.check(new_password, provider.names_of(user_id), field="new_password")
    provider.change_password(user_id, current_password, new_password)
    sessions.end_all_for_new_password(user_id, reason="change")


def set_by_admin(provider, sessions, user_id, password):
    password_policy.check(password, provider.names_of(user_id))
    provider.set_password(user_id, password)
    sessions.end_all_for_new_password(user_id, reason="admin")
    return {"message": "The password has been set"}
