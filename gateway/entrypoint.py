"""The gateway's one HTTP entrypoint: every method and path reach it.

Nameko's ``http`` entrypoint routes by itself and answers misses with HTML;
the gateway routes with its own table instead, so this entrypoint takes all
requests and never lets an exception out as anything but the envelope.
"""

from nameko.web.handlers import HttpRequestHandler
from werkzeug.routing import Rule

from common.exceptions import InternalError
from gateway import envelope
from gateway.webserver import ExclusiveWebServer


class ApiRequestHandler(HttpRequestHandler):
    server = ExclusiveWebServer()

    def get_url_rule(self):
        return Rule(self.url)  # no method list: all methods match

    def response_from_exception(self, exc):
        return envelope.failure(InternalError())


api = ApiRequestHandler.decorator
