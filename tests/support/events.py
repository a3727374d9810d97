"""Listening to a service's events on the real broker, as another consumer would."""

import queue

import eventlet
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange


class EventTap:
    """Binds a private queue to ``<service>.events`` and collects what is published there."""

    def __init__(self, amqp_uri, service):
        self.connection = Connection(amqp_uri)
        # Declared exactly as Nameko declares event exchanges, so either side may come first.
        exchange = get_event_exchange(service, {})
        self.queue = Queue(exclusive=True, auto_delete=True, exchange=exchange, routing_key="#")
        self.received = queue.Queue()
        self.headers = {}  # event_id -> AMQP headers (Nameko's context data travels there)
        self.consumer = self.connection.Consumer([self.queue], callbacks=[self._collect], accept=["json"])
        self.consumer.consume()
        self._running = True
        self._thread = eventlet.spawn(self._drain)

    def _collect(self, body, message):
        self.headers[body.get("event_id")] = dict(message.headers or {})
        self.received.put(body)
        message.ack()

    def _drain(self):
        while self._running:
            try:
                self.connection.drain_events(timeout=0.2)
            except TimeoutError:
                continue
            except Exception:
                if self._running:
                    raise
                return

    def wait_for(self, event_type, timeout=10, **matching):
        """The first event of ``event_type`` whose metadata or fields match ``matching``."""
        deadline = eventlet.Timeout(timeout)
        try:
            while True:
                event = self.received.get()
                fields = {**event, **(event.get("metadata") or {})}
                if event["event_type"] == event_type and all(fields.get(k) == v for k, v in matching.items()):
                    return event
        finally:
            deadline.cancel()

    def close(self):
        self._running = False
        self._thread.kill()
        self.connection.release()
