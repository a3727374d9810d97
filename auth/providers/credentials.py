"""Finding auth's credential rows, for the providers that keep them (local passwords, the Cognito pool)."""

from sqlalchemy import or_, select

from auth.models import Credential
from common.exceptions import NotFound


def normalize_identifier(identifier):
    return str(identifier).strip().lower()


class StoredCredentials:
    """Lookups over ``self.session``. Every writer stores emails and usernames normalized, so plain equality
    matches them and uses the unique indexes (login's hot path)."""

    def _credential_for(self, identifier):
        identifier = normalize_identifier(identifier)
        return self.session.scalars(
            select(Credential).where(or_(Credential.email == identifier, Credential.username == identifier))
        ).first()

    def _credential(self, user_id):
        credential = self.session.get(Credential, user_id)
        if credential is None:
            raise NotFound("No such user")
        return credential

    def find_user_id(self, identifier):
        credential = self._credential_for(identifier)
        return None if credential is None else credential.user_id

    def names_of(self, user_id):
        """The email and username of a user's credential (what a new password must not be)."""
        credential = self._credential(user_id)
        return credential.email, credential.username
