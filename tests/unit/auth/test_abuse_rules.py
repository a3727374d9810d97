"""auth's login lockout per client address, the password policy on its RPCs and the registration screen, through
worker_factory: real SQLite database, users replaced."""

import uuid
from unittest import mock

import pytest
from nameko.testing.services import worker_factory
from nameko_sqlalchemy.database import DatabaseWrapper, Session
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from auth.models import Base
from auth.passwords import Passwords
from auth.service import AuthService
from common.exceptions import RateLimited, Unauthorized, ValidationError
from common.stores import Repositories
from tests.support.callers import caller

SETTINGS = {
    "max_failed_logins": 3,
    "failure_window_seconds": 900,
    "lockout_seconds": 600,
    "confirmation_code_ttl_seconds": 3600,
    "reset_code_ttl_seconds": 900,
    "code_max_attempts": 3,
    "refresh_token_ttl_seconds": 3600,
}


@pytest.fixture
def factory(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'auth.db'}")
    Base.metadata.create_all(engine)
    return sessionmaker(bind=engine, class_=Session)


def make_service(factory, client=None, user_id=None):
    who = caller(str(user_id), ["learner"]) if user_id else caller()
    if client:
        who.assume_client(client)
    database = DatabaseWrapper(factory)
    service = worker_factory(
        AuthService,
        store=Repositories(lambda: database.session, AuthService.store.repositories),
        settings=SETTINGS,
        passwords=mock.Mock(wraps=Passwords(time_cost=1, memory_cost=1024)),
        config={"AUTH": {}},
        caller=who,
    )
    service.signing.access_token.return_value = "access-token"
    service.signing.access_ttl = 900
    return service


@pytest.fixture
def user_id(factory):
    user_id = uuid.uuid4()
    make_service(factory).create_identity(
        user_id=str(user_id), email="kim@example.com", username="kim", password="kim-password-1", confirmed=True
    )
    return user_id


def test_a_lock_shuts_out_the_failing_address_only_and_says_when_to_come_back(factory, user_id):
    attacker = make_service(factory, client="203.0.113.7")
    for _ in range(3):
        with pytest.raises(Unauthorized):
            attacker.login(identifier="kim@example.com", password="wrong-password")
    with pytest.raises(RateLimited) as locked:
        make_service(factory, client="203.0.113.7").login(identifier="kim@example.com", password="kim-password-1")
    assert 590 <= locked.value.details["retry_after"] <= 600
    owner = make_service(factory, client="198.51.100.20")
    owner.users.get_account.return_value = {"id": str(user_id), "roles": ["learner"], "status": "active"}
    assert owner.login(identifier="kim@example.com", password="kim-password-1")["access_token"] == "access-token"


def test_new_passwords_follow_the_policy_on_every_rpc(factory, user_id):
    service = make_service(factory)
    with pytest.raises(ValidationError) as refused:
        service.create_identity(
            user_id=str(uuid.uuid4()), email="pat@example.com", username=None, password="password12", confirmed=True
        )
    assert refused.value.details["fields"]["password"] == ["The password is one of the most common passwords"]
    with pytest.raises(ValidationError):
        service.admin_set_password(user_id=str(user_id), password="kim@example.com")
    me = make_service(factory, user_id=user_id)
    with pytest.raises(ValidationError) as refused:
        me.change_password(current_password="kim-password-1", new_password="KIM-1234567")
    assert refused.value.details["fields"]["new_password"] == ["The password must not be your email or username"]


def test_the_registration_screen_refuses_and_hashes_like_a_new_identity(factory):
    service = make_service(factory)
    with pytest.raises(ValidationError):
        service.screen_password(password="qwertyuiop", email="x@example.com")
    service.passwords.hash.assert_not_called()
    assert service.screen_password(password="a-fine-password-1", email="x@example.com") == {"acceptable": True}
    service.passwords.hash.assert_called_once_with("a-fine-password-1")
