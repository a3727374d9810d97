"""The HTTP gateway: routes every request by the table in ``routes.py``.

It verifies access tokens itself (no RPC per request), enforces each route's
roles, validates bodies and query strings, passes the caller and the
correlation id to services in context data, and wraps every answer in the
envelope. It holds no business rules, and no state but the revocations it hears
of (``revocations.py``), so that a revoked access token is refused at once.
"""

import logging
from functools import partial

from nameko.dependency_providers import Config
from nameko.events import BROADCAST
from werkzeug.wrappers import Response

from common.config_check import StartupCheck
from common.context import Caller
from common.contracts import Contract
from common.exceptions import DomainError, Forbidden, InternalError, NotFound, Unauthorized
from common.logs import WorkerLogContext
from common.metrics import WorkerMetrics
from common.revocations import handles_revoking_events
from common.rpc import RpcProxy
from common.tracing import WorkerTracing
from common.validation import load
from gateway import access, envelope, pages
from gateway.breaker import ServiceGuards
from gateway.cache import CachedReads, handles_invalidating_events
from gateway.calls import ServiceCalls
from gateway.cors import CorsPolicy
from gateway.entrypoint import api
from gateway.hot_reads import HotReads
from gateway.idempotency import Idempotency
from gateway.inbound import bearer_token_of, json_body_of, query_of, request_id_of, upload_of, wants_csv
from gateway.local_routes import LocalRoutes
from gateway.ratelimit import RateLimits
from gateway.revocations import Revocations
from gateway.router import Router
from gateway.routes import AUTHENTICATED, PUBLIC, ROUTES
from gateway.tokens import AccessTokens

log = logging.getLogger(__name__)

ROUTER = Router(ROUTES)
QUERY_SCHEMAS = {route: route.query() for route in ROUTES if route.query is not None}
BODY_SCHEMAS = {route: route.body() for route in ROUTES if route.body is not None}


def checked(schema, data):
    """What the RPC gets: a service's contract (``common.contracts.Contract``) validates the client's JSON,
    which goes on as it came for the service to load; an HTTP-only schema's loaded values go on."""
    loaded = load(schema, data)
    return data if isinstance(schema, Contract) else loaded


class GatewayService(LocalRoutes):
    name = "gateway"

    config = Config()
    startup_check = StartupCheck()
    caller = Caller()
    log_context = WorkerLogContext()
    worker_metrics = WorkerMetrics()
    tracing = WorkerTracing()
    tokens = AccessTokens()
    rate_limits = RateLimits()
    guards = ServiceGuards()
    idempotency = Idempotency()
    revocations = Revocations()
    read_cache = CachedReads()
    hot_reads = HotReads()  # cache hits answered before a worker: gateway/hot_reads.py

    auth_rpc = RpcProxy("auth")
    users_rpc = RpcProxy("users")
    training_rpc = RpcProxy("training")
    coaching_rpc = RpcProxy("coaching")
    events_rpc = RpcProxy("events")
    notifications_rpc = RpcProxy("notifications")
    engagement_rpc = RpcProxy("engagement")

    @api("ANY", "/")
    def serve_root(self, request):
        return access.observed(request, self.serve)

    @api("ANY", "/<path:path>")
    def serve_path(self, request, path):
        return access.observed(request, self.serve)

    # Every replica hears every revocation (each may keep its own, in memory); a restarted one loads them.
    @handles_revoking_events(handler_type=BROADCAST, reliable_delivery=False)
    def revoke_access(self, event):
        self.revocations.apply(event)

    # Every replica hears every change of a cached read (each may keep its cache in memory): gateway/cache.py.
    @handles_invalidating_events(handler_type=BROADCAST, reliable_delivery=False)
    def drop_cached_reads(self, event):
        self.read_cache.apply(event)

    # -- the request pipeline -------------------------------------------------

    def serve(self, request):
        settings = self.config.get("GATEWAY") or {}
        request_id = request_id_of(request)
        cors = CorsPolicy(settings.get("CORS_ORIGINS") or [])
        origin = request.headers.get("Origin")
        headers = {"X-Request-ID": request_id, **cors.headers_for(origin)}
        calls = ServiceCalls(self._proxies(), float(settings.get("RPC_TIMEOUT", 10)), request_id, self.guards)
        try:
            if request.method == "OPTIONS":
                return self._preflight(request, cors, origin, headers)
            route, path_args = ROUTER.match(request.method, request.path)
            access.mark_route(request, route)
            if route.rate_limit:
                self.rate_limits.check(route.rate_limit, request)
            self.caller.assume_client(self.rate_limits.client_of(request))
            self._identify(request, route, request_id, calls)
            kwargs = self._arguments(request, route, path_args, int(settings.get("MAX_BODY_BYTES", 1048576)))
            if route.service == "gateway":
                result = getattr(self, f"local_{route.rpc}")(calls, settings, **kwargs)
            else:
                fetch = partial(self._call_service, request, route, kwargs, calls, headers)
                result = self.read_cache.call(request, route, self.caller, kwargs, fetch, headers)
            if isinstance(result, Response):
                result.headers.update(headers)
                return result
            if route.html and pages.wants_html(request):
                page = pages.render(route.html, result, route.status)
                page.headers.update(headers)
                return page
            if route.file or (route.exports_csv and kwargs.get("format") == "csv"):
                return envelope.file_response(result, headers)
            if route.raw:
                return envelope.raw_json(result, route.status, headers)
            return envelope.success(result, route.status, headers)
        except DomainError as error:
            if "retry_after" in error.details:
                headers["Retry-After"] = str(error.details["retry_after"])
            elif error.status == 429:  # every 429 says when to come back; a minute unless the service knows
                headers["Retry-After"] = "60"
            return envelope.failure(error, headers)
        except Exception:
            log.exception("request %s failed in the gateway", request_id)
            return envelope.failure(InternalError(), headers)

    def _proxies(self):
        return {
            "auth": self.auth_rpc,
            "users": self.users_rpc,
            "training": self.training_rpc,
            "coaching": self.coaching_rpc,
            "events": self.events_rpc,
            "notifications": self.notifications_rpc,
            "engagement": self.engagement_rpc,
        }

    def _preflight(self, request, cors, origin, headers):
        methods = ROUTER.allowed_methods(request.path)
        if not methods:
            raise NotFound(f"No route for {request.path}")
        return Response(status=204, headers={**headers, **cors.preflight_headers(origin, methods)})

    def _identify(self, request, route, request_id, calls):
        """Verify the token (if any) and put the caller in context data for every RPC."""
        claims = None
        try:
            token = bearer_token_of(request, allow_query=route.token_in_query)
            if token is not None:
                claims = self.tokens.verify(token, fetch_jwks=lambda: calls.call("auth", "jwks"))
                if self.revocations.is_revoked(claims):
                    raise Unauthorized("The access token has been revoked")
        except Unauthorized:
            if route.access != PUBLIC:
                raise
            claims = None  # a stale token on a public route (login, refresh) is ignored
        if claims is None and route.access != PUBLIC:
            raise Unauthorized("Authentication is required")
        restricted = route.access not in (PUBLIC, AUTHENTICATED)
        if claims is not None and restricted and not route.access.intersection(claims["roles"]):
            raise Forbidden(f"This needs the role {' or '.join(sorted(route.access))}")
        self.token_claims = claims
        if claims is None:
            self.caller.assume(None, (), request_id)
        else:
            self.caller.assume(claims["sub"], claims["roles"], request_id)

    def _arguments(self, request, route, path_args, max_body_bytes):
        kwargs = {}
        if route.upload_max_bytes:
            kwargs.update(upload_of(request, route.upload_max_bytes))
        elif route.body is not None:
            kwargs.update(checked(BODY_SCHEMAS[route], json_body_of(request, max_body_bytes)))
        elif request.content_length and request.content_length > max_body_bytes:
            json_body_of(request, max_body_bytes)  # raises 413
        if route.query is not None:
            query = checked(QUERY_SCHEMAS[route], query_of(request))
            if route.token_in_query:
                query.pop("token", None)
            kwargs.update(query)
        if route.exports_csv and "format" not in request.args and wants_csv(request):
            kwargs["format"] = "csv"
        kwargs.update(path_args)
        return kwargs

    def _call_service(self, request, route, kwargs, calls, headers):
        """The route's RPC, once per ``Idempotency-Key`` (gateway/idempotency.py)."""
        scope = self.caller.user_id or f"anonymous:{self.rate_limits.client_of(request)}"
        return self.idempotency.call(
            request,
            scope,
            kwargs,
            headers,
            lambda on_timeout: calls.call(route.service, route.rpc, kwargs, on_timeout=on_timeout),
            nobody_running=lambda: self.guards.nobody_running(route.service),
        )
