"""The local provider: Argon2 password hashes and emailed codes, in auth's database."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from auth import codes
from auth.models import Credential
from auth.providers.base import IdentityProvider
from auth.providers.credentials import StoredCredentials, normalize_identifier
from common.clock import utcnow
from common.exceptions import Conflict, Unauthorized, ValidationError

# A new reset code is not made while the last one is younger than this.
RESET_CODE_COOLDOWN_SECONDS = 60


class LocalIdentityProvider(StoredCredentials, IdentityProvider):
    name = "local"

    def __init__(self, session, passwords, settings):
        self.session = session
        self.passwords = passwords
        self.settings = settings

    def authenticate(self, identifier, password):
        credential = self._credential_for(identifier)
        password_hash = None if credential is None else credential.password_hash
        ok = self.passwords.verify(password_hash, password)
        return credential.user_id if ok and credential is not None else None

    def create_identity(self, user_id, email, username, password, confirmed):
        credential = Credential(
            user_id=user_id,
            email=normalize_identifier(email),
            username=None if username is None else normalize_identifier(username),
            password_hash=None if password is None else self.passwords.hash(password),
            provider=self.name,
            password_changed_at=utcnow(),
        )
        self.session.add(credential)
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise Conflict("An account with this email or username already exists") from None
        if confirmed:
            return None
        return self.new_confirmation_code(user_id)

    def new_confirmation_code(self, user_id):
        self._credential(user_id)
        return codes.issue(
            self.session, user_id, codes.CONFIRM_REGISTRATION, self.settings["confirmation_code_ttl_seconds"]
        )

    def confirm_identity(self, user_id, code):
        self._spend(user_id, codes.CONFIRM_REGISTRATION, code)

    def _spend(self, user_id, purpose, code):
        if not codes.spend(self.session, user_id, purpose, code, self.settings["code_max_attempts"]):
            # Keep the counted wrong guess even though the request fails.
            self.session.commit()
            raise ValidationError(codes.INVALID_CODE, {"code": ["invalid or expired"]})

    def start_password_reset(self, identifier):
        credential = self._credential_for(identifier)
        if credential is None:
            return None
        last = codes.latest_issued_at(self.session, credential.user_id, codes.RESET_PASSWORD)
        if last is not None and last > utcnow() - timedelta(seconds=RESET_CODE_COOLDOWN_SECONDS):
            return None
        code = codes.issue(
            self.session, credential.user_id, codes.RESET_PASSWORD, self.settings["reset_code_ttl_seconds"]
        )
        return credential.user_id, credential.email, code

    def confirm_password_reset(self, identifier, code, new_password, vet=None):
        credential = self._credential_for(identifier)
        if credential is None:
            raise ValidationError(codes.INVALID_CODE, {"code": ["invalid or expired"]})
        self._spend(credential.user_id, codes.RESET_PASSWORD, code)
        if vet is not None:  # only someone holding the code learns what the account's names rule out
            vet(credential.email, credential.username)
        self._store_password(credential, new_password)
        return credential.user_id

    def change_password(self, user_id, current_password, new_password):
        credential = self._credential(user_id)
        if not self.passwords.verify(credential.password_hash, current_password):
            raise Unauthorized("The current password is wrong")
        self._store_password(credential, new_password)

    def set_password(self, user_id, password):
        self._store_password(self._credential(user_id), password)

    def _store_password(self, credential, password):
        credential.password_hash = self.passwords.hash(password)
        credential.password_changed_at = utcnow()

    def drop_unconfirmed_password(self, user_id):
        # The row lock serializes concurrent sign-ins that claim the same account.
        credential = self.session.scalars(
            select(Credential).where(Credential.user_id == user_id).with_for_update()
        ).first()
        if credential is None:
            return False
        codes.void(self.session, user_id, codes.CONFIRM_REGISTRATION)
        if credential.password_hash is None:
            return False
        credential.password_hash = None
        credential.password_changed_at = utcnow()
        return True

    def delete_identity(self, user_id):
        credential = self.session.get(Credential, user_id)
        if credential is not None:
            self.session.delete(credential)
