import pytest

from common.context import CallerContext
from common.exceptions import Forbidden, Unauthorized
from tests.support.callers import WorkerCtx


def test_the_gateway_sets_the_caller_and_services_read_it():
    ctx = WorkerCtx()
    CallerContext(ctx).assume("u1", ["learner", "coach"], "req-1")
    caller = CallerContext(ctx)
    assert ctx.data == {"user_id": "u1", "roles": "learner,coach", "request_id": "req-1", "origin": "gateway"}
    assert caller.user_id == "u1" and caller.roles == ("learner", "coach") and caller.request_id == "req-1"
    assert not caller.is_internal and not caller.is_admin
    caller.require_role("coach", "admin")
    with pytest.raises(Forbidden):
        caller.require_role("admin")
    with pytest.raises(Forbidden):
        caller.require_self_or_admin("u2")
    caller.require_self_or_admin("u1")


def test_anonymous_callers_through_the_gateway_are_trusted_with_nothing():
    ctx = WorkerCtx({"user_id": "stale", "roles": "admin"})
    caller = CallerContext(ctx)
    caller.assume(None, (), "req-2")
    assert "user_id" not in ctx.data and "roles" not in ctx.data
    assert not caller.is_internal and not caller.is_admin and not caller.has_any_role("learner")
    with pytest.raises(Forbidden):
        caller.require_role("admin")
    with pytest.raises(Unauthorized):
        caller.require_user()


def test_calls_without_a_user_are_internal_and_trusted_but_have_no_self():
    caller = CallerContext(WorkerCtx())
    assert caller.is_internal and caller.is_admin
    caller.require_role("admin")
    with pytest.raises(Unauthorized):
        caller.require_user()


def test_roles_given_as_a_list_by_an_operators_proxy_are_read_too():
    caller = CallerContext(WorkerCtx({"user_id": "u1", "roles": ["instructor", "coach"], "origin": "gateway"}))
    assert caller.roles == ("instructor", "coach")
    caller.require_role("coach")
    with pytest.raises(Forbidden):
        caller.require_role("admin")
