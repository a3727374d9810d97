"""The interface every identity provider implements (local now; Cognito and OAuth plug in here).

Whatever proved the identity, the auth service issues the platform's own tokens.
Methods raise domain errors from ``common.exceptions``.
"""

import abc


class IdentityProvider(abc.ABC):
    name = None

    @abc.abstractmethod
    def authenticate(self, identifier, password):
        """The user id for a correct identifier and password, else ``None``."""

    @abc.abstractmethod
    def create_identity(self, user_id, email, username, password, confirmed):
        """Store a new identity; return a confirmation code to send, or ``None``."""

    @abc.abstractmethod
    def confirm_identity(self, user_id, code):
        """Check and spend a registration code."""

    @abc.abstractmethod
    def new_confirmation_code(self, user_id):
        """A fresh registration code (the old ones stop working)."""

    @abc.abstractmethod
    def start_password_reset(self, identifier):
        """``(user_id, email, code)`` for a known identifier, else ``None``."""

    @abc.abstractmethod
    def confirm_password_reset(self, identifier, code, new_password, vet=None):
        """Set the new password when the code is right; return the user id. ``vet(email, username)``, when
        given, may refuse the password for this account before it is stored."""

    @abc.abstractmethod
    def change_password(self, user_id, current_password, new_password):
        """Change a password the user knows."""

    @abc.abstractmethod
    def set_password(self, user_id, password):
        """An admin sets a password."""

    @abc.abstractmethod
    def delete_identity(self, user_id):
        """Forget the identity and everything issued to it."""

    @abc.abstractmethod
    def find_user_id(self, identifier):
        """The user id an email or username belongs to, else ``None``."""

    @abc.abstractmethod
    def drop_unconfirmed_password(self, user_id):
        """An identity provider verified the email of this still unconfirmed account: whoever chose its
        password never proved the email (it may be someone else's), so make that password unusable and void
        the registration codes. ``True`` when there was a password to drop."""
