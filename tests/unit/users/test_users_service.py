"""The users service through worker_factory: real SQLite session, auth and events replaced."""

import uuid

import pytest
from nameko.testing.services import worker_factory
from nameko_sqlalchemy.database import DatabaseWrapper, Session
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from common import events
from common.exceptions import Conflict, Forbidden, NotFound, ValidationError
from common.pagination import MAX_PAGE_SIZE
from common.stores import Repositories
from tests.support.callers import caller
from users import registration
from users.models import Base
from users.service import UsersService


@pytest.fixture
def make_service():
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    factory = sessionmaker(bind=engine, class_=Session)

    def make(who=None, require_confirmation=True):
        database = DatabaseWrapper(factory)
        service = worker_factory(
            UsersService,
            store=Repositories(lambda: database.session, UsersService.store.repositories),
            caller=who or caller(),
            settings={"require_email_confirmation": require_confirmation},
        )
        service.auth.create_identity.return_value = {"confirmation_code": "123456" if require_confirmation else None}
        return service

    return make


def registered(service, **payload):
    """Register; the answer says nothing about the account, so read it back from the USER_REGISTERED event."""
    answer = service.register(**payload)
    assert service.events.call_args.args[0] == events.USER_REGISTERED
    return answer, service.get_account(str(service.events.call_args.kwargs["user_id"]))


def test_register_creates_a_pending_learner_and_publishes_the_code(make_service):
    service = make_service()
    answer, user = registered(service, email="New@Example.com", password="new-password-1", name="New")
    assert answer == {"message": registration.CHECK_EMAIL}
    assert user["status"] == "pending" and user["roles"] == ["learner"]
    assert user["email"] == "new@example.com"
    identity = service.auth.create_identity.call_args.kwargs
    assert identity["email"] == "new@example.com" and identity["confirmed"] is False
    assert service.events.call_args.kwargs["confirmation_code"] == "123456"


def test_register_without_confirmation_is_active_at_once(make_service):
    service = make_service(require_confirmation=False)
    answer, user = registered(service, email="a@example.com", password="new-password-1")
    assert answer == {"message": registration.REGISTERED} and user["status"] == "active"


def test_self_registration_never_grants_other_roles(make_service):
    service = make_service()
    with pytest.raises(ValidationError):
        service.register(email="a@example.com", password="new-password-1", role="admin")
    assert registered(service, email="b@example.com", password="new-password-1", role="student")[1]["roles"] == [
        "learner"
    ]


def test_a_failed_identity_leaves_no_profile(make_service):
    service = make_service()
    service.auth.create_identity.side_effect = Conflict("taken in auth")
    with pytest.raises(Conflict):
        service.register(email="a@example.com", password="new-password-1")
    again = make_service()
    assert registered(again, email="a@example.com", password="new-password-1")[1]["email"] == "a@example.com"


def test_a_taken_email_answers_as_a_free_one_and_tells_its_owner(make_service):
    service = make_service()
    free, owner = registered(service, email="ann@example.com", username="ann", password="new-password-1")
    service.auth.reset_mock()
    taken = service.register(email="ANN@example.com", username="someone", password="other-password-2")
    assert taken == free
    # No second account; the password was still checked and hashed by auth, as for a new account.
    service.auth.create_identity.assert_not_called()
    assert service.auth.screen_password.call_args.kwargs == {
        "password": "other-password-2",
        "email": "ANN@example.com",
        "username": "someone",
    }
    assert service.events.call_args.args[0] == events.REGISTRATION_ATTEMPTED
    assert service.events.call_args.kwargs == {
        "user_id": uuid.UUID(owner["id"]),
        "email": "ann@example.com",
        "reason": "email_taken",
    }


def test_a_taken_username_answers_as_a_free_one_and_tells_the_address(make_service):
    service = make_service()
    free, owner = registered(service, email="ann@example.com", username="ann", password="new-password-1")
    service.auth.reset_mock()
    assert service.register(email="Bob@example.com", username="ANN", password="other-password-2") == free
    service.auth.create_identity.assert_not_called()
    service.auth.screen_password.assert_called_once()
    notice = service.events.call_args.kwargs
    assert service.events.call_args.args[0] == events.REGISTRATION_ATTEMPTED
    assert notice["email"] == "bob@example.com" and notice["reason"] == "username_taken"
    assert str(notice["user_id"]) != owner["id"]  # the username's holder is not told about a stranger's address


def test_a_weak_password_is_refused_whether_the_email_is_taken_or_not(make_service):
    service = make_service()
    registered(service, email="ann@example.com", password="new-password-1")
    weak = ValidationError("The password is one of the most common passwords")
    service.auth.screen_password.side_effect = weak
    service.auth.create_identity.side_effect = weak
    for email in ("ann@example.com", "free@example.com"):
        with pytest.raises(ValidationError):
            service.register(email=email, password="password1234")
    assert service.list_users()["total"] == 1  # the refused registration of a free email made no account


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
    pending = registered(service, email="pat@example.com", password="pat-password-1")[1]
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


def test_a_follow_names_the_follower_in_its_event(make_service):
    operator = make_service()
    ann = operator.create_user(email="ann@example.com", name="Ann")
    bob = operator.create_user(email="bob@example.com", name="Bob Builder")
    follower = make_service(who=caller(bob["id"], ["learner"]))
    follower.follow(ann["id"])
    assert follower.events.call_args.args == (events.USER_FOLLOWED,)
    published = follower.events.call_args.kwargs
    assert (str(published["user_id"]), published["followee_id"]) == (bob["id"], ann["id"])
    assert published["follower_name"] == "Bob Builder"  # notifications need not ask users for it


def test_get_accounts_answers_a_page_of_ids_in_one_call(make_service):
    service = make_service()
    ann = service.create_user(email="ann@example.com", name="Ann")
    bob = service.create_user(email="bob@example.com", name="Bob", status="disabled")
    unknown = "00000000-0000-0000-0000-000000000000"
    found = service.get_accounts([ann["id"], bob["id"].upper(), unknown, "nonsense"])
    assert found == {
        ann["id"]: {
            "id": ann["id"],
            "email": "ann@example.com",
            "name": "Ann",
            "username": None,
            "status": "active",
            "timezone": None,
            "locale": None,
        },
        bob["id"].upper(): {
            "id": bob["id"],
            "email": "bob@example.com",
            "name": "Bob",
            "username": None,
            "status": "disabled",
            "timezone": None,
            "locale": None,
        },
    }
    assert service.get_accounts([]) == {}
    assert len(service.get_accounts([ann["id"]] * MAX_PAGE_SIZE)) == 1
    with pytest.raises(ValidationError):
        service.get_accounts([ann["id"]] * (MAX_PAGE_SIZE + 1))


def test_list_accounts_pages_by_key_so_removing_someone_already_seen_shifts_nobody(make_service):
    service = make_service()
    made = [service.create_user(email=f"p{n}@example.com", name=f"P{n}") for n in range(5)]
    service.create_user(email="off@example.com", name="Off", status="disabled")
    service.create_user(email="coach@example.com", name="Coach", roles=["coach"])

    first = service.list_accounts(limit=2, status="active", role="learner")
    assert [item["email"] for item in first["items"]] == ["p0@example.com", "p1@example.com"]  # oldest first
    assert first["items"][0] == {
        "id": made[0]["id"],
        "email": "p0@example.com",
        "name": "P0",
        "username": None,
        "status": "active",
        "timezone": None,
        "locale": None,
    }
    # Both people of the first page leave (the last one seen deleted): the next page still starts at p2.
    service.delete_user(made[1]["id"])
    service.update_user(made[0]["id"], status="disabled")
    second = service.list_accounts(after=first["next_after"], limit=2, status="active", role="learner")
    assert [item["email"] for item in second["items"]] == ["p2@example.com", "p3@example.com"]
    last = service.list_accounts(after=second["next_after"], limit=2, status="active", role="learner")
    assert [item["email"] for item in last["items"]] == ["p4@example.com"] and last["next_after"] is None
    # A full last page is followed by an empty one.
    full = service.list_accounts(after=second["next_after"], limit=1, status="active", role="learner")
    assert service.list_accounts(after=full["next_after"], limit=1, status="active", role="learner") == {
        "items": [],
        "next_after": None,
    }
    everyone = service.list_accounts(limit=MAX_PAGE_SIZE)
    assert len(everyone["items"]) == 6 and everyone["next_after"] is None
    for bad in ({"after": "yesterday|nobody"}, {"limit": MAX_PAGE_SIZE + 1}, {"limit": 0}, {"status": "gone"}):
        with pytest.raises(ValidationError):
            service.list_accounts(**bad)
    learner = make_service(who=caller(made[2]["id"], ["learner"]))
    with pytest.raises(Forbidden):
        learner.list_accounts()


def test_get_accounts_and_list_accounts_are_internal_only():
    from gateway.routes import ROUTES

    routed = {(route.service, route.rpc) for route in ROUTES}
    assert ("users", "get_accounts") not in routed
    assert ("users", "list_accounts") not in routed


def test_a_registration_that_makes_no_account_takes_as_long_as_one_that_does():
    typical = registration.TypicalDuration(weight=0.5, ceiling_seconds=2.0)
    assert typical.remaining(0.1) == 0.0  # nothing observed yet
    typical.observe(0.4)
    typical.observe(0.6)
    assert typical.average == pytest.approx(0.5)
    assert typical.remaining(0.1) == pytest.approx(0.4) and typical.remaining(0.7) == 0.0
    typical.observe(30.0)  # an outlier (a slow database) never holds an answer more than the ceiling
    assert typical.remaining(0.0) == 2.0
