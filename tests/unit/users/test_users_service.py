"""The users service through worker_factory: real SQLite session, auth and events replaced."""

import pytest
from nameko.testing.services import worker_factory
from nameko_sqlalchemy.database import DatabaseWrapper, Session
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from common import events
from common.context import CallerContext
from common.exceptions import Conflict, Forbidden, NotFound, ValidationError
from users.models import Base
from users.service import UsersService


class WorkerCtx:
    def __init__(self):
        self.data = {}


def caller(user_id=None, roles=()):
    context = CallerContext(WorkerCtx())
    if user_id is not None or roles:
        context.assume(user_id, roles, "req")
    return context


@pytest.fixture
def make_service():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, class_=Session)

    def make(who=None, require_confirmation=True):
        service = worker_factory(
            UsersService,
            db=DatabaseWrapper(factory),
            caller=who or caller(),
            settings={"require_email_confirmation": require_confirmation},
        )
        service.auth.create_identity.return_value = {"confirmation_code": "123456" if require_confirmation else None}
        return service

    return make


def test_register_creates_a_pending_learner_and_publishes_the_code(make_service):
    service = make_service()
    result = service.register(email="New@Example.com", password="password-123", name="New")
    assert result["user"]["status"] == "pending" and result["user"]["roles"] == ["learner"]
    assert result["user"]["email"] == "new@example.com"
    identity = service.auth.create_identity.call_args.kwargs
    assert identity["email"] == "new@example.com" and identity["confirmed"] is False
    event_type = service.events.call_args.args[0]
    assert event_type == events.USER_REGISTERED
    assert service.events.call_args.kwargs["confirmation_code"] == "123456"


def test_register_without_confirmation_is_active_at_once(make_service):
    service = make_service(require_confirmation=False)
    assert service.register(email="a@example.com", password="password-123")["user"]["status"] == "active"


def test_self_registration_never_grants_other_roles(make_service):
    service = make_service()
    with pytest.raises(ValidationError):
        service.register(email="a@example.com", password="password-123", role="admin")
    assert service.register(email="b@example.com", password="password-123", role="student")["user"]["roles"] == [
        "learner"
    ]


def test_a_failed_identity_leaves_no_profile(make_service):
    service = make_service()
    service.auth.create_identity.side_effect = Conflict("taken in auth")
    with pytest.raises(Conflict):
        service.register(email="a@example.com", password="password-123")
    again = make_service()
    assert again.register(email="a@example.com", password="password-123")["user"]["email"] == "a@example.com"


def test_the_last_admin_stays(make_service):
    operator = make_service()
    admin = operator.create_user(email="root@example.com", name="Root", roles=["admin"])
    with pytest.raises(Conflict):
        operator.set_roles(admin["id"], roles=["learner"])
    with pytest.raises(Conflict):
        operator.delete_user(admin["id"])
    second = operator.create_user(email="root2@example.com", name="Root 2", roles=["admin"])
    assert operator.set_roles(admin["id"], roles=["learner"])["roles"] == ["learner"]
    with pytest.raises(Conflict):
        operator.update_user(second["id"], status="disabled")


def test_learners_cannot_use_admin_rpcs(make_service):
    operator = make_service()
    someone = operator.create_user(email="s@example.com", name="S")
    learner = make_service(who=caller(someone["id"], ["learner"]))
    for call in (
        lambda: learner.list_users(),
        lambda: learner.create_user(email="x@example.com", name="X"),
        lambda: learner.set_roles(someone["id"], roles=["admin"]),
        lambda: learner.delete_user(someone["id"]),
        lambda: learner.update_user(someone["id"], name="Y"),
    ):
        with pytest.raises(Forbidden):
            call()


def test_unknown_and_malformed_ids_are_not_found(make_service):
    service = make_service()
    for user_id in ("00000000-0000-0000-0000-000000000000", "nonsense"):
        with pytest.raises(NotFound):
            service.get_user(user_id)
    assert service.get_account("nonsense") is None


def sso(service, email, verified, provider="google", provider_id="sub-1"):
    return service.sso_profile(
        provider=provider, provider_id=provider_id, email=email, email_verified=verified, name="Someone"
    )


def test_sso_never_makes_an_account_from_an_unverified_email(make_service):
    service = make_service()
    with pytest.raises(Conflict) as refused:
        sso(service, "ada@example.com", verified=False)
    assert "not verified" in str(refused.value)
    # Nothing holds the address: the owner's verified sign-in makes her own account, and the unverified
    # identity is not linked to it.
    made = sso(service, "ada@example.com", verified=True, provider="github", provider_id="9001")
    assert made["outcome"] == "created" and made["user"]["provider"] == "github"
    with pytest.raises(Conflict):
        sso(service, "ada@example.com", verified=False)
    assert sso(service, "ada@example.com", verified=False, provider="github", provider_id="9001")["outcome"] == "found"


def test_a_provider_verified_email_confirms_a_pending_account_once(make_service):
    service = make_service()
    pending = service.register(email="pat@example.com", password="password-123")["user"]
    # users only reports the pending account: auth removes its password before asking to confirm it.
    linked = sso(service, "pat@example.com", verified=True)
    assert linked["outcome"] == "linked" and linked["user"]["status"] == "pending"

    other = service.confirm_external_email(user_id=pending["id"], email="other@example.com", provider="google")
    assert other["confirmed"] is False and other["user"]["status"] == "pending"
    first = service.confirm_external_email(user_id=pending["id"], email="Pat@Example.com", provider="google")
    assert first["confirmed"] is True and first["user"]["status"] == "active"
    assert service.events.call_args.args[0] == events.USER_CONFIRMED
    assert service.events.call_args.kwargs["provider"] == "google"
    calls = service.events.call_count
    again = service.confirm_external_email(user_id=pending["id"], email="pat@example.com", provider="google")
    assert again["confirmed"] is False and service.events.call_count == calls  # confirmed once, announced once


def test_a_disabled_account_is_not_confirmed_by_a_provider(make_service):
    service = make_service()
    disabled = service.create_user(email="off@example.com", name="Off", status="disabled")
    result = service.confirm_external_email(user_id=disabled["id"], email="off@example.com", provider="github")
    assert result["confirmed"] is False and result["user"]["status"] == "disabled"


def test_confirm_external_email_is_internal_only():
    from gateway.routes import ROUTES

    assert ("users", "confirm_external_email") not in {(route.service, route.rpc) for route in ROUTES}
    assert ("users", "sso_profile") not in {(route.service, route.rpc) for route in ROUTES}
