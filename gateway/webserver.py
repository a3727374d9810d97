"""The gateway's HTTP listener: Nameko's web server, but alone on its address.

Nameko listens with SO_REUSEPORT, so a second gateway (or a second ``make run``)
on a busy address starts silently and the kernel splits the connections
between the two. This one listens without it: a busy or malformed
``WEB_SERVER_ADDRESS`` stops the start with one line.
"""

import errno

import eventlet
from nameko.constants import WEB_SERVER_CONFIG_KEY
from nameko.exceptions import ConfigurationError
from nameko.web.server import WebServer, parse_address

from common.config_check import StartupError


def bind_address(address):
    """``"host:port"`` -> ``(host, port)``, or ``StartupError`` naming WEB_SERVER_ADDRESS."""
    try:
        return tuple(parse_address(str(address)))
    except ConfigurationError:
        raise StartupError(f"Bad configuration: WEB_SERVER_ADDRESS must be [host:]port (got {address!r})") from None


def listen(address):
    """A listening socket on ``address``, alone on it."""
    host, port = bind_address(address)
    try:
        return eventlet.listen((host, port), reuse_port=False)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            reason = "the address is already in use (is the platform already running?)"
        else:
            reason = exc.strerror or str(exc)
        raise StartupError(f"Cannot listen on WEB_SERVER_ADDRESS {address}: {reason}") from None


def ensure_free(address):
    """Fail now if ``address`` is taken; for start-ups with work to do before they listen."""
    listen(address).close()


class ExclusiveWebServer(WebServer):
    @property
    def address(self):
        return self.container.config.get(WEB_SERVER_CONFIG_KEY, "0.0.0.0:8000")

    @property
    def bind_addr(self):
        # Nameko reads this already while it builds the container: a malformed address is one line there too
        # (Nameko's own ConfigurationError ends `nameko run` with exit status 0).
        return bind_address(self.address)

    def start(self):
        if not self._starting:
            self._starting = True
            self._sock = listen(self.address)
            # As Nameko does: work around https://github.com/celery/kombu/issues/838
            self._sock.settimeout(None)
            self._serv = self.get_wsgi_server(self._sock, self.get_wsgi_app())
            self._gt = self.container.spawn_managed_thread(self.run)
