"""Matching a request to its row of the route table (werkzeug routing)."""

from werkzeug.exceptions import MethodNotAllowed as WerkzeugMethodNotAllowed
from werkzeug.exceptions import NotFound as WerkzeugNotFound
from werkzeug.routing import Map, RequestRedirect, Rule

from common.exceptions import MethodNotAllowed, NotFound
from common.validation import check_plain_input


class Router:
    def __init__(self, routes):
        self.routes = list(routes)
        self.url_map = Map(
            [Rule(route.path, methods=[route.method], endpoint=route) for route in self.routes],
            strict_slashes=False,
        )
        self.adapter = self.url_map.bind("localhost")

    def match(self, method, path):
        """``(route, path_args)``, or ``NotFound`` / ``MethodNotAllowed``."""
        try:
            route, path_args = self.adapter.match(path, method=method)
        except WerkzeugNotFound:
            raise NotFound(f"No route for {path}") from None
        except WerkzeugMethodNotAllowed as exc:
            allowed = sorted(exc.valid_methods or [])
            raise MethodNotAllowed(f"{method} is not allowed on {path}", {"allowed": allowed}) from None
        except RequestRedirect:
            raise NotFound(f"No route for {path}") from None
        return route, check_plain_input(path_args, "path")

    def allowed_methods(self, path):
        return sorted(self.adapter.allowed_methods(path))
