"""auth's queries that are not a module of their own (refresh_tokens.py, lockout.py, revocations.py, ...):
outside identities, credentials and the counts of the dashboard, over the worker's one session."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from auth.models import Credential, LinkedIdentity, RefreshToken


class Repository:
    """Queries over the worker's session, which the service commits (common/stores.py)."""

    def __init__(self, session):
        self.session = session


class LinkedIdentities(Repository):
    def find(self, provider, subject):
        return self.session.scalars(
            select(LinkedIdentity).where(LinkedIdentity.provider == provider, LinkedIdentity.subject == subject)
        ).first()

    def of_user(self, user_id):
        return self.session.scalars(
            select(LinkedIdentity).where(LinkedIdentity.user_id == user_id).order_by(LinkedIdentity.created_at)
        ).all()

    def link(self, identity, user_id):
        """Link the outside identity to the user (with a credential row if the user has none); False when a
        concurrent sign-in linked it first (the unique constraints settled it; the session is rolled back)."""
        if self.session.get(Credential, user_id) is None:
            self.session.add(Credential(user_id=user_id, email=identity.email, provider=identity.provider))
        self.session.add(
            LinkedIdentity(provider=identity.provider, subject=identity.subject, user_id=user_id, email=identity.email)
        )
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            return False
        return True


class Counts(Repository):
    def identities(self):
        return self.session.scalar(select(func.count()).select_from(Credential))

    def live_refresh_tokens(self, now):
        return self.session.scalar(
            select(func.count())
            .select_from(RefreshToken)
            .where(RefreshToken.revoked_at.is_(None), RefreshToken.used_at.is_(None), RefreshToken.expires_at > now)
        )
