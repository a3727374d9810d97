"""auth's domain modules against a real (SQLite, in-memory) database, no Nameko."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from auth import lockout, refresh_tokens
from auth.models import Base, Credential, OneTimeCode
from auth.passwords import Passwords
from auth.providers.local import LocalIdentityProvider
from common.clock import utcnow
from common.exceptions import Conflict, Unauthorized, ValidationError

SETTINGS = {"confirmation_code_ttl_seconds": 3600, "reset_code_ttl_seconds": 900, "code_max_attempts": 3}


@pytest.fixture
def session():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session


@pytest.fixture
def provider(session):
    return LocalIdentityProvider(session, Passwords(time_cost=1, memory_cost=1024), SETTINGS)


@pytest.fixture
def user_id(provider, session):
    user_id = uuid.uuid4()
    provider.create_identity(user_id, "Kim@Example.com", "Kimmy", "kim-password-1", confirmed=True)
    session.commit()
    return user_id


def test_passwords_are_salted_argon2_and_verify():
    passwords = Passwords(time_cost=1, memory_cost=1024)
    first, second = passwords.hash("same password"), passwords.hash("same password")
    assert first != second and first.startswith("$argon2id$")
    assert passwords.verify(first, "same password") and not passwords.verify(first, "other")
    assert not passwords.verify(None, "anything")


def test_login_by_email_or_username_in_any_case(provider, user_id):
    assert provider.authenticate("kim@example.com", "kim-password-1") == user_id
    assert provider.authenticate("KIMMY", "kim-password-1") == user_id
    assert provider.authenticate("kim@example.com", "wrong") is None
    assert provider.authenticate("nobody@example.com", "kim-password-1") is None


def test_duplicate_identities_conflict(provider, user_id):
    with pytest.raises(Conflict):
        provider.create_identity(uuid.uuid4(), "KIM@example.com", None, "x" * 10, confirmed=True)


def test_codes_expire_are_single_use_and_allow_few_guesses(provider, session, user_id):
    code = provider.new_confirmation_code(user_id)
    session.commit()
    assert len(code) == 6 and code.isdigit()
    stored = session.scalars(select(OneTimeCode)).one()
    assert stored.code_hash != code  # stored hashed
    provider.confirm_identity(user_id, code)
    with pytest.raises(ValidationError):
        provider.confirm_identity(user_id, code)

    code = provider.new_confirmation_code(user_id)
    newer = provider.new_confirmation_code(user_id)
    session.commit()
    with pytest.raises(ValidationError):
        provider.confirm_identity(user_id, code if code != newer else "x")  # older codes stop working
    wrong = "000000" if newer != "000000" else "111111"
    for _ in range(2):
        with pytest.raises(ValidationError):
            provider.confirm_identity(user_id, wrong)
    with pytest.raises(ValidationError):
        provider.confirm_identity(user_id, newer)  # voided after the allowed wrong guesses

    expired = provider.new_confirmation_code(user_id)
    session.scalars(select(OneTimeCode).where(OneTimeCode.consumed_at.is_(None))).one().expires_at = (
        utcnow() - timedelta(seconds=1)
    )
    session.commit()
    with pytest.raises(ValidationError):
        provider.confirm_identity(user_id, expired)


def test_password_reset_needs_the_code_and_has_a_cooldown(provider, session, user_id):
    started = provider.start_password_reset("kimmy")
    session.commit()
    assert started[0] == user_id and started[1] == "kim@example.com"
    assert provider.start_password_reset("kimmy") is None  # too soon for another code
    assert provider.start_password_reset("ghost@example.com") is None
    with pytest.raises(ValidationError):
        provider.confirm_password_reset("ghost@example.com", started[2], "new-password-1")
    assert provider.confirm_password_reset("kim@example.com", started[2], "new-password-1") == user_id
    assert provider.authenticate("kim@example.com", "new-password-1") == user_id


def test_change_password_checks_the_current_one(provider, user_id):
    with pytest.raises(Unauthorized):
        provider.change_password(user_id, "wrong", "new-password-2")
    provider.change_password(user_id, "kim-password-1", "new-password-2")
    assert provider.authenticate("kimmy", "new-password-2") == user_id


def test_refresh_tokens_rotate_and_reuse_revokes_the_family(session, user_id):
    first = refresh_tokens.issue(session, user_id, 3600)
    session.commit()
    owner, second = refresh_tokens.rotate(session, first, 3600)
    session.commit()
    assert owner == user_id and second != first
    with pytest.raises(refresh_tokens.ReusedToken):
        refresh_tokens.rotate(session, first, 3600)
    session.commit()
    with pytest.raises(refresh_tokens.ReusedToken):
        refresh_tokens.rotate(session, second, 3600)  # the whole family went with it
    with pytest.raises(Unauthorized):
        refresh_tokens.rotate(session, "never-issued", 3600)
    expired = refresh_tokens.issue(session, user_id, -1)
    session.commit()
    with pytest.raises(Unauthorized):
        refresh_tokens.rotate(session, expired, 3600)


def test_lockout_counts_failures_in_a_window_per_identifier_and_client(session):
    for _ in range(2):
        assert lockout.record_failure(session, "who@example.com", "10.0.0.1", 3, 60, 300) is None
    until = lockout.record_failure(session, "who@example.com", "10.0.0.1", 3, 60, 300)
    session.commit()
    assert until is not None and lockout.locked_until(session, "who@example.com", "10.0.0.1") is not None
    assert 299 <= lockout.seconds_left(until) <= 300
    assert lockout.locked_until(session, "other@example.com", "10.0.0.1") is None
    # Another address is not shut out by failures elsewhere.
    assert lockout.locked_until(session, "who@example.com", "10.0.0.2") is None
    lockout.clear(session, "who@example.com", "10.0.0.1")
    session.commit()
    assert lockout.locked_until(session, "who@example.com", "10.0.0.1") is None


def test_a_reset_lifts_the_locks_at_every_address(session):
    for client in ("10.0.0.1", "10.0.0.2", None):
        for _ in range(3):
            lockout.record_failure(session, "who@example.com", client, 3, 60, 300)
    session.commit()
    assert lockout.locked_until(session, "who@example.com", None) is not None
    lockout.clear_everywhere(session, "who@example.com")
    session.commit()
    assert all(lockout.locked_until(session, "who@example.com", c) is None for c in ("10.0.0.1", "10.0.0.2", None))


def test_deleting_an_identity_removes_its_tokens_and_codes(provider, session, user_id):
    refresh_tokens.issue(session, user_id, 3600)
    provider.new_confirmation_code(user_id)
    session.commit()
    provider.delete_identity(user_id)
    session.commit()
    assert session.get(Credential, user_id) is None
    assert provider.authenticate("kimmy", "kim-password-1") is None


def test_dropping_an_unconfirmed_password_voids_it_and_the_registration_code(provider, session):
    user_id = uuid.uuid4()
    code = provider.create_identity(user_id, "pat@example.com", None, "squatter-pass-1", confirmed=False)
    session.commit()
    assert provider.authenticate("pat@example.com", "squatter-pass-1") == user_id
    assert provider.drop_unconfirmed_password(user_id) is True
    session.commit()
    assert session.get(Credential, user_id).password_hash is None
    assert provider.authenticate("pat@example.com", "squatter-pass-1") is None
    with pytest.raises(ValidationError):
        provider.confirm_identity(user_id, code)
    # A second claim has nothing left to drop; an unknown user has nothing at all.
    assert provider.drop_unconfirmed_password(user_id) is False
    assert provider.drop_unconfirmed_password(uuid.uuid4()) is False
