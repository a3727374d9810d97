"""The gateway's one HTTP entrypoint: every method and path reach it.

Nameko's ``http`` entrypoint routes by itself and answers misses with HTML;
the gateway routes with its own table instead, so this entrypoint takes all
requests (a path with any character, a newline included) and never lets an
exception out as anything but the envelope. Every answer leaves with the
security headers and an ``X-Request-ID``.
"""

import logging
import time
from functools import partial

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, PathConverter, Rule
from werkzeug.wrappers import Request

from common.exceptions import InternalError, NotFound
from gateway import access, envelope
from gateway.headers import secure
from gateway.hot_reads import HotReads
from gateway.inbound import request_id_of
from gateway.webserver import ExclusiveWebServer

log = logging.getLogger(__name__)


class AnyPathConverter(PathConverter):
    """werkzeug's ``path`` stops at a newline (``.`` without DOTALL); this one takes every character."""

    regex = "[^/](?s:.*?)"


def finished(response, request):
    if "X-Request-ID" not in response.headers:
        response.headers["X-Request-ID"] = request_id_of(request)
    return secure(response)


class ApiWsgiApp(WsgiApp):
    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        try:
            provider, values = self.url_map.bind_to_environ(environ).match()
        except HTTPException:  # only a path the catch-all rules cannot take; answered like any miss
            response = finished(envelope.failure(NotFound(f"No route for {request.path}")), request)
            return response(environ, start_response)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class ApiWebServer(ExclusiveWebServer):
    """Alone on its address, and every path (newlines included) reaches the one handler."""

    def make_url_map(self):
        url_map = Map(converters={"path": AnyPathConverter})
        for provider in self._providers:
            rule = provider.get_url_rule()
            rule.endpoint = provider
            url_map.add(rule)
        return url_map

    def get_wsgi_app(self):
        return ApiWsgiApp(self)


class ApiRequestHandler(HttpRequestHandler):
    server = ApiWebServer()

    def get_url_rule(self):
        return Rule(self.url)  # no method list: all methods match

    def setup(self):
        super().setup()
        self.hot_reads = next((each for each in self.container.dependencies if isinstance(each, HotReads)), None)

    def handle_request(self, request):
        started = time.perf_counter()
        answer = self._early_answer(request)
        if answer is not None:
            renewal = request.environ.get(access.RENEWAL_KEY)
            if renewal is not None:
                self.container.spawn_managed_thread(partial(self._renew, request, renewal), identifier="renewal")
            return finished(access.recorded(request, answer, started), request)
        return finished(super().handle_request(request), request)

    def _renew(self, request, key):
        """The request again, through a worker, whose read cache renews the answer it is past half the life of."""
        try:
            super().handle_request(request)
        finally:
            self.hot_reads.early.renewed(key)

    def _early_answer(self, request):
        """A cache hit answered before a worker is spawned (gateway/hot_reads.py), or None."""
        early = getattr(self.hot_reads, "early", None)
        if early is None:
            return None
        try:
            return early.answer(request)
        except Exception:  # the worker's path will meet the same trouble and answer it properly
            log.warning("early answer failed; the request goes to a worker", exc_info=True)
            return None

    def check_signature(self, args, kwargs):
        """Nameko checks each call's arguments against the method (``inspect.getcallargs``: 5 % of the gateway's
        work per request, docs/performance.md). The two methods behind this entrypoint take what its own
        rules give them, ``(request)`` and ``(request, path)``: there is nothing to check."""

    def response_from_exception(self, exc):
        log.error("the gateway's entrypoint failed: %r", exc)
        return envelope.failure(InternalError())


api = ApiRequestHandler.decorator
