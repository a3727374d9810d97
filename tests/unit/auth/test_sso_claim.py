"""auth's SSO sign-in claiming a pending account, through worker_factory: real SQLite database, users replaced.

The order is what keeps it safe: the unconfirmed password is gone (committed) before users is asked to confirm
the account, and the identity is linked only after that, so a failure in between leaves a pending account
without a password that the next sign-in of the same identity finishes.
"""

import uuid

import pytest
from nameko.testing.services import worker_factory
from nameko_sqlalchemy.database import DatabaseWrapper, Session
from sqlalchemy import create_engine, select
from sqlalchemy.orm import sessionmaker

from auth.models import Base, Credential, LinkedIdentity
from auth.passwords import Passwords
from auth.providers.local import LocalIdentityProvider
from auth.providers.oauth import ExternalIdentity
from auth.service import AuthService
from common import events
from common.exceptions import ServiceUnavailable
from common.stores import Repositories

SETTINGS = {
    "confirmation_code_ttl_seconds": 3600,
    "reset_code_ttl_seconds": 900,
    "code_max_attempts": 3,
    "refresh_token_ttl_seconds": 3600,
}
GRACE = ExternalIdentity(provider="google", subject="g-1", email="grace@example.com", email_verified=True)


@pytest.fixture
def factory(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'auth.db'}")
    Base.metadata.create_all(engine)
    return sessionmaker(bind=engine, class_=Session)


@pytest.fixture
def pending_user(factory):
    user_id = uuid.uuid4()
    with factory() as session:
        passwords = Passwords(time_cost=1, memory_cost=1024)
        LocalIdentityProvider(session, passwords, SETTINGS).create_identity(
            user_id, GRACE.email, None, "squatter-pass-1", confirmed=False
        )
        session.commit()
    return user_id


def make_service(factory, user_id):
    database = DatabaseWrapper(factory)
    service = worker_factory(
        AuthService,
        store=Repositories(lambda: database.session, AuthService.store.repositories),
        settings=SETTINGS,
        passwords=Passwords(time_cost=1, memory_cost=1024),
        config={"AUTH": {}},
    )
    account = {"id": str(user_id), "roles": ["learner"], "status": "pending"}
    service.users.sso_profile.return_value = {"user": account, "outcome": "linked"}
    service.users.get_account.return_value = {**account, "status": "active"}
    service.signing.access_token.return_value = "access-token"
    service.signing.access_ttl = 900
    return service


def stored(factory, user_id):
    with factory() as session:
        credential = session.get(Credential, user_id)
        links = session.scalars(select(LinkedIdentity.user_id)).all()
        return credential.password_hash, links


def test_the_password_is_gone_before_users_confirms_and_the_link_comes_after(factory, pending_user):
    service = make_service(factory, pending_user)
    seen = []
    service.users.confirm_external_email.side_effect = lambda **kwargs: seen.append(stored(factory, pending_user))

    result = service._external().sign_in(GRACE)

    assert seen == [(None, [])]  # when users was asked: no password, no link yet
    service.users.confirm_external_email.assert_called_once_with(
        user_id=str(pending_user), email="grace@example.com", provider="google"
    )
    assert stored(factory, pending_user) == (None, [pending_user])
    assert result["first_sign_in"] is True and result["user"]["id"] == str(pending_user)
    published = [call.args[0] for call in service.events.call_args_list]
    assert published == [events.PASSWORD_CHANGED, events.USER_LOGGED_IN]


def test_a_failure_before_the_confirmation_leaves_no_password_and_the_next_sign_in_finishes(factory, pending_user):
    service = make_service(factory, pending_user)
    service.users.confirm_external_email.side_effect = ServiceUnavailable("users did not answer")
    with pytest.raises(ServiceUnavailable):
        service._external().sign_in(GRACE)
    assert stored(factory, pending_user) == (None, [])  # fail closed: pending, passwordless, unlinked

    again = make_service(factory, pending_user)
    result = again._external().sign_in(GRACE)
    again.users.confirm_external_email.assert_called_once()
    assert result["first_sign_in"] is True
    assert stored(factory, pending_user) == (None, [pending_user])


def test_an_active_account_is_linked_with_its_password(factory, pending_user):
    service = make_service(factory, pending_user)
    service.users.sso_profile.return_value = {
        "user": {"id": str(pending_user), "roles": ["learner"], "status": "active"},
        "outcome": "linked",
    }
    service._external().sign_in(GRACE)
    service.users.confirm_external_email.assert_not_called()
    password_hash, links = stored(factory, pending_user)
    assert password_hash is not None and links == [pending_user]
