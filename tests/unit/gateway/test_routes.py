"""The route table agrees with the services it names."""

import importlib
import inspect

import pytest
from nameko.rpc import Rpc
from werkzeug.routing import Map, Rule

from common.contracts import Contract, accepted_names
from common.exceptions import MethodNotAllowed, NotFound
from gateway.router import Router
from gateway.routes import ROUTES, SERVICES
from gateway.service import GatewayService

INTERNAL_ONLY = {
    ("auth", "create_identity"),
    ("auth", "confirm_identity"),
    ("auth", "new_confirmation_code"),
    ("auth", "delete_identity"),
    ("auth", "find_user_id"),
    ("auth", "screen_password"),
    ("users", "get_account"),
    ("users", "get_accounts"),
    ("users", "list_accounts"),
}


def service_class(name):
    module = importlib.import_module(f"{name}.service")
    classes = [
        member
        for _, member in inspect.getmembers(module, inspect.isclass)
        if member.__module__ == module.__name__ and getattr(member, "name", None) == name
    ]
    assert len(classes) == 1, name
    return classes[0]


def path_arguments(path):
    """The names werkzeug itself finds in a route's path (``<token>.ics`` is ``token``), as the router does."""
    rule = Rule(path)
    Map([rule])  # binding compiles the rule and fills in its arguments
    return set(rule.arguments)


def test_path_arguments_are_parsed_as_werkzeug_parses_them():
    assert path_arguments("/events/calendar/<token>.ics") == {"token"}
    assert path_arguments("/users/<string:user_id>/files/<path:name>") == {"user_id", "name"}
    assert path_arguments("/health") == set()


def rpc_methods(cls):
    return {
        name
        for name, method in inspect.getmembers(cls, inspect.isfunction)
        if any(isinstance(entrypoint, Rpc) for entrypoint in getattr(method, "nameko_entrypoints", ()))
    }


@pytest.mark.parametrize("route", [r for r in ROUTES if r.service != "gateway"], ids=lambda r: f"{r.method} {r.path}")
def test_each_route_reaches_an_rpc_that_takes_its_arguments(route):
    cls = service_class(route.service)
    assert route.rpc in rpc_methods(cls)
    method = getattr(cls, route.rpc)
    signature = inspect.signature(method)
    assert not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()), f"{route.rpc} takes **kwargs"
    accepted = accepted_names(method)
    given = path_arguments(route.path)
    for schema in (route.query, route.body):
        if schema is None:
            continue
        if issubclass(schema, Contract):
            # A contract validated at the gateway is the RPC's own: the same class, or one it is made of.
            assert getattr(method, "contract", None) is not None, f"{route.rpc} does not load its contract"
            assert issubclass(method.contract, schema) or issubclass(schema, method.contract), route.rpc
        given |= set(schema().fields) - ({"token"} if schema is route.query and route.token_in_query else set())
    for argument in given:
        assert argument in accepted, (route.rpc, argument)
    required = {
        name
        for name, p in inspect.signature(getattr(method, "__wrapped__", method)).parameters.items()
        if name != "self" and p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    } - {getattr(method, "contract_changes", None)}
    contract = getattr(method, "contract", None)
    if contract is not None:
        required -= {name for name, field in contract().fields.items() if not field.required}
    assert required <= given, (route.rpc, required - given)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.service == "gateway"], ids=lambda r: r.path)
def test_gateway_routes_have_local_handlers(route):
    assert callable(getattr(GatewayService, f"local_{route.rpc}"))


def test_internal_rpcs_have_no_route():
    routed = {(route.service, route.rpc) for route in ROUTES}
    assert not routed & INTERNAL_ONLY


def test_routes_are_unique_and_every_service_has_health():
    keys = [(route.method, route.path) for route in ROUTES]
    assert len(keys) == len(set(keys))
    for service in SERVICES:
        assert ("GET", f"/{service}/health") in keys
        assert {"health", "stats", "list_settings", "update_setting"} <= rpc_methods(service_class(service))


def test_matching():
    router = Router(ROUTES)
    route, args = router.match("GET", "/users/abc/roles")
    assert (route.rpc, args) == ("get_roles", {"user_id": "abc"})
    assert router.match("GET", "/users/profile")[0].rpc == "get_profile"
    assert router.match("POST", "/users/search")[0].rpc == "search_users"
    assert router.match("GET", "/users/")[0].rpc == "list_users"
    with pytest.raises(NotFound):
        router.match("GET", "/users/a/b/c/d")
    with pytest.raises(MethodNotAllowed) as raised:
        router.match("PATCH", "/auth/login")
    assert raised.value.details["allowed"] == ["POST"]
