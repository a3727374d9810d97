"""Cache hits answered in the HTTP listener, before a Nameko worker is spawned.

A cached read that hits costs the gateway no RPC, and then most of what is left is Nameko's worker
(spawn, inject every dependency, tear down) around a dictionary lookup (docs/performance.md). The entrypoint
(gateway/entrypoint.py) asks ``HotReads.answer`` first: a GET of a cached route whose answer is fresh in
the cache is answered here, with the very checks the worker's pipeline makes (the route's roles, the token,
its revocation) and the same key, so it is the answer the worker would give. Anything else (a miss, an
answer due for renewal, a token not verified before, a revocation list not loaded yet, any doubt) returns
None and takes the worker's path, which also gives every error its envelope.

An answer past half its life is still answered here, and the request that found it so is run again by a
worker in the background (one per answer at a time), whose ``call`` renews it: clients do not wait for
renewals, which would otherwise be the slowest of the hits.

What a hit here does not get: a trace span (there is no worker to hang it on). It is counted and logged
like every request (gateway/access.py); a background renewal is not (it answers nobody).
"""

from nameko.extensions import DependencyProvider

from common.contracts import Contract
from common.validation import load
from gateway import cache_policy, envelope
from gateway.access import RENEWAL_KEY, ROUTE_KEY
from gateway.cache import HIT
from gateway.cors import CorsPolicy
from gateway.inbound import bearer_token_of, query_of, request_id_of
from gateway.router import Router
from gateway.routes import AUTHENTICATED, PUBLIC, ROUTES


def answerable(route):
    """A cached read with nothing but path and query to read and a plain JSON envelope to answer."""
    return (
        cache_policy.cached_read(route) is not None
        and route.method == "GET"
        and route.body is None
        and not (route.rate_limit or route.upload_max_bytes or route.exports_csv or route.file or route.raw)
        and not route.html
    )


class EarlyAnswers:
    """``answer(request)``: the cached answer as a Response, or None for the worker's path."""

    def __init__(self, settings, tokens, revocations, read_cache, routes=ROUTES):
        self.router = Router(routes)
        self.queries = {route: route.query() for route in routes if route.query is not None and answerable(route)}
        self.tokens = tokens
        self.revocations = revocations
        self.read_cache = read_cache
        self.cors = CorsPolicy(settings.get("CORS_ORIGINS") or [])
        self.renewing = set()  # keys a background worker is renewing

    def renewed(self, key):
        self.renewing.discard(key)

    def answer(self, request):
        if request.method != "GET" or request.content_length or "no-cache" in request.headers.get("Cache-Control", ""):
            return None
        try:
            route, path_args = self.router.match("GET", request.path)
        except Exception:
            return None
        if not answerable(route):
            return None
        claims = self._claims(request, route)
        if claims is False:
            return None
        caller_id, roles = (None, ()) if claims is None else (claims["sub"], tuple(claims["roles"]))
        try:
            arguments = self._arguments(request, route, path_args)
        except Exception:  # invalid input: the worker's path answers the 400
            return None
        text, due = self.read_cache.fresh_hit(route, caller_id, roles, arguments)
        if text is None:
            return None
        if due is not None and due not in self.renewing:
            # Past half its life: answered all the same (it is still fresh), and one worker renews it in
            # the background (gateway/entrypoint.py), so that under load nobody waits for the RPC.
            self.renewing.add(due)
            request.environ[RENEWAL_KEY] = due
        request.environ[ROUTE_KEY] = route.path  # for the access log and the metrics
        origin = request.headers.get("Origin")
        headers = {"X-Request-ID": request_id_of(request), **self.cors.headers_for(origin), "X-Cache": HIT}
        return envelope.success(envelope.EncodedJson(text), route.status, headers)

    def _claims(self, request, route):
        """The caller's claims, None for an anonymous caller, or False when only the worker's path may decide."""
        try:
            token = bearer_token_of(request, allow_query=route.token_in_query)
        except Exception:
            return False
        if token is None:
            return None if route.access == PUBLIC else False
        claims = self.tokens.remembered(token)
        if claims is None or not self.revocations.ready or self.revocations.is_revoked(claims):
            return False
        if route.access not in (PUBLIC, AUTHENTICATED) and not route.access.intersection(claims["roles"]):
            return False
        return claims

    def _arguments(self, request, route, path_args):
        # As the worker's path does (gateway/service.py), so that the key is the same.
        arguments = {}
        schema = self.queries.get(route)
        if schema is not None:
            raw = query_of(request)
            loaded = load(schema, raw)
            arguments = raw if isinstance(schema, Contract) else loaded
            if route.token_in_query:
                arguments.pop("token", None)
        arguments.update(path_args)
        return arguments


class HotReads(DependencyProvider):
    """Builds the ``EarlyAnswers`` of this gateway from its token verifier, revocations and read cache."""

    def __init__(self, tokens="tokens", revocations="revocations", read_cache="read_cache"):
        self.names = (tokens, revocations, read_cache)

    def start(self):
        providers = {provider.attr_name: provider for provider in self.container.dependencies}
        tokens, revocations, read_cache = (providers[name] for name in self.names)
        settings = self.container.config.get("GATEWAY") or {}
        self.early = EarlyAnswers(settings, tokens.verifier, revocations.store, read_cache.store)

    def get_dependency(self, worker_ctx):
        return self.early
