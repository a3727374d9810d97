"""What a self-registration answers, and what the address is told when the email or username is taken.

The answer is the same whether an account was made or the email or username was
taken already: it says nothing about who has an account here. The address given
is told by email, not the caller: its owner learns that someone tried to register
it (the email was taken), or the registrant learns that the username was taken.
"""

import threading
import uuid

import eventlet

from users.accounts import EMAIL_TAKEN

CHECK_EMAIL = "Check your email for the confirmation code"
REGISTERED = "Registered; you can log in"


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
