"""A TCP forwarder on 127.0.0.1 that a test can cut and restore: a store that becomes unreachable and returns."""

import contextlib
import socket

import eventlet


class TcpProxy:
    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = None
        self._listener = None
        self._connections = set()
        self._acceptor = None

    def start(self):
        self._listener = eventlet.listen(("127.0.0.1", self.port or 0))
        self.port = self._listener.getsockname()[1]
        self._acceptor = eventlet.spawn(self._accept, self._listener)
        return self

    def cut(self):
        """Refuse new connections and drop the open ones, as a database that went away would."""
        self._acceptor.kill()
        self._listener.close()
        for conn in list(self._connections):
            self._drop(conn)

    def restore(self):
        self.start()

    stop = cut

    def _accept(self, listener):
        while True:
            client, _ = listener.accept()
            try:
                upstream = eventlet.connect(self.target)
            except OSError:
                client.close()
                continue
            self._connections.update((client, upstream))
            eventlet.spawn_n(self._pipe, client, upstream)
            eventlet.spawn_n(self._pipe, upstream, client)

    def _pipe(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except (OSError, EOFError):
            pass
        finally:
            self._drop(source)
            self._drop(sink)

    def _drop(self, conn):
        # Shut down, never close, a socket another greenthread may be reading: eventlet would wake that
        # reader with an error about a closed file, and the file number could already belong to a new socket.
        self._connections.discard(conn)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)
