"""What a self-registration answers, and what the address is told when the email or username is taken.

The answer is the same whether an account was made or the email or username was
taken already: it says nothing about who has an account here. The address given
is told by email, not the caller: its owner learns that someone tried to register
it (the email was taken), or the registrant learns that the username was taken.
"""

import threading
import time
import uuid

import eventlet

from common import events
from common.exceptions import Conflict, ValidationError
from users import accounts
from users.accounts import EMAIL_TAKEN
from users.contracts import ACTIVE, PENDING

CHECK_EMAIL = "Check your email for the confirmation code"
REGISTERED = "Registered; you can log in"
CONFIRMATION_SENT = "If the account is waiting for confirmation, a new code has been sent"


def answer(requires_confirmation):
    """The body of every successful-looking registration: nothing in it depends on the address."""
    return {"message": CHECK_EMAIL if requires_confirmation else REGISTERED}


def attempt_notice(reason, holder, email, username):
    """``(user_id, metadata)`` of the REGISTRATION_ATTEMPTED event for a registration that made no account.

    Taken email: the message goes to its account. Taken username with a free email: no account has that
    address, so the notice is addressed by a fresh id (the account that was not made) with the email in
    the metadata, where notifications sends it."""
    if reason == EMAIL_TAKEN:
        return holder.id, {"email": holder.email, "reason": reason}
    return uuid.uuid4(), {"email": email.strip().lower(), "reason": reason, "username": username}


class TypicalDuration:
    """How long a registration that makes an account usually takes (a running average in this process), so that
    one that makes none can take as long. Both hash the password; the one that makes an account also writes and
    commits in two databases, which an attacker timing many answers could otherwise tell apart."""

    def __init__(self, weight=0.2, ceiling_seconds=3.0):
        self.weight = weight
        self.ceiling_seconds = ceiling_seconds
        self.average = None
        self._lock = threading.Lock()

    def observe(self, seconds):
        with self._lock:
            if self.average is None:
                self.average = seconds
            else:
                self.average += self.weight * (seconds - self.average)

    def remaining(self, elapsed):
        return max(0.0, min(self.average or 0.0, self.ceiling_seconds) - elapsed)

    def wait_out(self, elapsed):
        """Sleep (green) until a registration that made no account has taken as long as a typical one."""
        eventlet.sleep(self.remaining(elapsed))


ACCOUNT_MADE = TypicalDuration()


def announce(publish, user, requires_confirmation, code, **extra):
    """USER_REGISTERED: notifications sends the code (if any) to the address it was asked for."""
    publish(
        events.USER_REGISTERED,
        user_id=user.id,
        email=user.email,
        name=user.name,
        username=user.username,
        requires_confirmation=requires_confirmation,
        confirmation_code=code,
        **extra,
    )


def create_account(session, auth, publish, data, roles, status, confirmed, **announced):
    """Profile first (its unique constraints settle races), then the identity in auth (``auth``: its RPC proxy);
    USER_REGISTERED (with ``announced`` in its metadata) is committed with the profile."""
    user = accounts.add_user(
        session,
        data["email"],
        data.get("name"),
        username=data.get("username"),
        roles=roles,
        status=status,
        **{key: data[key] for key in accounts.PROFILE_FIELDS if key in data and key != "name"},
    )
    try:
        identity = auth.create_identity(
            user_id=str(user.id),
            email=user.email,
            username=user.username,
            password=data.get("password"),
            confirmed=confirmed,
        )
    except Exception:
        session.rollback()  # no profile without an identity
        raise
    announce(publish, user, not confirmed, identity["confirmation_code"], **announced)
    try:
        session.commit()
    except Exception:
        auth.delete_identity(str(user.id))
        raise
    return user


def register(session, auth, publish, data, needs_code):
    """The same answer (and about the same time) whether the email and username are free or taken: a taken
    one makes no account, the password is still checked and hashed by auth, and the address is told."""
    started = time.monotonic()
    roles = accounts.check_self_registration_role(data.pop("role"))
    taken = accounts.find_taken(session, data["email"], data["username"])
    if taken is None:
        try:
            create_account(session, auth, publish, data, roles, PENDING if needs_code else ACTIVE, not needs_code)
        except Conflict:  # a concurrent registration took the email or username first
            taken = accounts.find_taken(session, data["email"], data["username"])
            if taken is None:
                raise
        else:  # USER_REGISTERED was saved with the account
            ACCOUNT_MADE.observe(time.monotonic() - started)
    if taken is not None:
        auth.screen_password(password=data["password"], email=data["email"], username=data["username"])
        user_id, notice = attempt_notice(*taken, data["email"], data["username"])
        publish(events.REGISTRATION_ATTEMPTED, user_id=user_id, **notice)
        session.commit()  # the event's outbox row
        ACCOUNT_MADE.wait_out(time.monotonic() - started)
    return answer(needs_code)


def confirm(session, auth, publish, email, code):
    """A pending account's code, checked by auth, makes it active."""
    user = accounts.find_by_email(session, email)
    if user is None or user.status != PENDING:
        raise ValidationError("The code is not valid or has expired", {"code": ["invalid or expired"]})
    auth.confirm_identity(str(user.id), code)
    user.status = ACTIVE
    publish(events.USER_CONFIRMED, user_id=user.id, email=user.email)
    session.commit()
    return user


def resend_code(session, auth, publish, email):
    """A new code for an account still waiting for one; nothing (and the same answer) for any other address."""
    user = accounts.find_by_email(session, email)
    if user is not None and user.status == PENDING:
        code = auth.new_confirmation_code(str(user.id))["confirmation_code"]
        announce(publish, user, True, code, resent=True)
        session.commit()
    return {"message": CONFIRMATION_SENT}
