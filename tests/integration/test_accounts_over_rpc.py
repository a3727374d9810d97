"""users and auth in a runner on real RabbitMQ and PostgreSQL, called over RPC as other services
and operators call them (no gateway): registration reaches auth, events carry the caller's context,
and a call that claims to come from the gateway is judged by the identity it carries."""

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from auth.service import AuthService
from common import events
from common.context import FROM_GATEWAY, ORIGIN_KEY, REQUEST_ID_KEY, ROLES_KEY, USER_ID_KEY
from common.exceptions import Forbidden, Unauthorized
from users.service import UsersService


@pytest.fixture
def accounts(runner_factory, platform_config):
    runner_factory(platform_config, UsersService, AuthService).start()
    return platform_config


def as_gateway(config, user_id=None, roles=(), request_id="req-1"):
    context = {ORIGIN_KEY: FROM_GATEWAY, REQUEST_ID_KEY: request_id}
    if user_id:
        context.update({USER_ID_KEY: user_id, ROLES_KEY: list(roles)})
    return ClusterRpcProxy(config, context_data=context, timeout=10)


def test_registration_creates_the_identity_that_auth_logs_in(accounts, event_tap):
    tap = event_tap("users")
    with ClusterRpcProxy(accounts, timeout=10) as rpc:
        rpc.users.update_setting(key="require_email_confirmation", value=False)
        registered = rpc.users.register(email="ria@example.com", password="ria-password-1", name="Ria")
        tokens = rpc.auth.login(identifier="ria@example.com", password="ria-password-1")
        # A second registration of the address answers alike, makes no account and tells the owner.
        assert rpc.users.register(email="RIA@example.com", password="ria-password-2") == registered
        again = rpc.auth.login(identifier="ria@example.com", password="ria-password-1")
    assert again["user"]["id"] == tokens["user"]["id"]
    event = tap.wait_for(events.USER_REGISTERED, user_id=tokens["user"]["id"])
    assert event["metadata"]["email"] == "ria@example.com"
    notice = tap.wait_for(events.REGISTRATION_ATTEMPTED, user_id=tokens["user"]["id"])
    assert notice["metadata"] == {"email": "ria@example.com", "reason": "email_taken"}


def test_a_call_from_the_gateway_is_judged_by_its_caller(accounts, event_tap):
    with ClusterRpcProxy(accounts, timeout=10) as operator:
        learner = operator.users.create_user(email="lou@example.com", name="Lou", password="lou-password-1")
    with as_gateway(accounts) as anonymous, pytest.raises(Unauthorized):
        anonymous.users.get_profile()
    with as_gateway(accounts, learner["id"], ["learner"]) as rpc:
        with pytest.raises(Forbidden):
            rpc.users.list_users()
        assert rpc.users.get_profile()["email"] == "lou@example.com"
    tap = event_tap("users")
    with as_gateway(accounts, learner["id"], ["learner"], request_id="req-42") as rpc:
        rpc.users.update_profile(bio="Hello")
    event = tap.wait_for(events.USER_UPDATED, user_id=learner["id"])
    assert tap.headers[event["event_id"]].get("nameko.request_id") == "req-42"
