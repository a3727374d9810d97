"""auth's tables: credentials, refresh tokens, one-time codes, login attempts, signing keys."""

import uuid
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.clock import utcnow
from common.outbox import OutboxRecord
from common.runtime_settings import settings_table


class Base(DeclarativeBase):
    pass


class Credential(Base):
    """How a user proves who they are to the local provider (and which provider they use)."""

    __tablename__ = "credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str | None] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(30), default="local")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshToken(Base):
    """Opaque refresh tokens, stored as SHA-256; rotation keeps the family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("credentials.user_id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OneTimeCode(Base):
    """Registration confirmation and password reset codes, stored hashed."""

    __tablename__ = "one_time_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("credentials.user_id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class LoginAttempt(Base):
    """Failed logins per identifier and client address, whether or not an account has the identifier (so locks
    reveal nothing); a lock shuts out that address only, never the owner elsewhere."""

    __tablename__ = "login_attempts"

    identifier: Mapped[str] = mapped_column(String(320), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LinkedIdentity(Base):
    """An outside identity (provider + its subject, e.g. Cognito's ``sub``) that signs in as one of our users."""

    __tablename__ = "linked_identities"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_linked_identities_provider_subject"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    provider: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("credentials.user_id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignInState(Base):
    """The ``state`` of an SSO/OAuth sign-in in flight (stored hashed) and its PKCE verifier; spent once.

    ``code_verifier`` is NULL for a sign-in started without PKCE (Cognito's /logout -> sign-in again).
    """

    __tablename__ = "sign_in_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(30))
    code_verifier: Mapped[str | None] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class TokenRevocation(Base):
    """Access tokens revoked before their expiry, kept one access-token lifetime for gateways that start later.

    ``token_id`` NULL: the user's tokens issued before ``revoked_before`` are revoked; otherwise the one token
    (``jti``) or session (``sid``) it names. ``event_id`` is the users event it came from (recorded once)."""

    __tablename__ = "token_revocations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    token_id: Mapped[str | None] = mapped_column(String(64))
    revoked_before: Mapped[float | None] = mapped_column(Float(precision=53))
    revoked_at: Mapped[float] = mapped_column(Float(precision=53), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str | None] = mapped_column(String(64), unique=True)


runtime_settings = settings_table(Base.metadata)


class OutboxMessage(OutboxRecord, Base):
    """Events saved with the change that causes them, until the relay has published them (common/outbox.py)."""
