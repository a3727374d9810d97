"""Whether a service has anyone taking its RPC requests, asked of the broker.

A request to a service that is down would wait in its durable ``rpc-<service>``
queue for the whole timeout. A passive ``queue.declare`` answers with the
queue's consumer count without touching the queue; the answer is kept a
moment per service so that a busy gateway asks about once a second.
"""

import contextlib
import logging
import time

import amqp.exceptions
from eventlet.semaphore import Semaphore
from kombu import Connection
from nameko.rpc import RPC_QUEUE_TEMPLATE

log = logging.getLogger(__name__)


class QueueConsumers:
    def __init__(self, amqp_uri, cache_seconds, clock=time.monotonic):
        self.amqp_uri = amqp_uri
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.known = {}  # service -> (consumer count, when asked)
        self.lock = Semaphore()
        self.connection = None

    def count(self, service, fresh=False):
        """Consumers on the service's RPC queue (0 when there is no queue); None when the broker cannot say."""
        cached = self.known.get(service)
        if not fresh and cached is not None and self.clock() - cached[1] < self.cache_seconds:
            return cached[0]
        with self.lock:
            cached = self.known.get(service)
            if not fresh and cached is not None and self.clock() - cached[1] < self.cache_seconds:
                return cached[0]  # another request asked while this one waited
            consumers = self._ask(RPC_QUEUE_TEMPLATE.format(service))
            if consumers is not None:
                self.known[service] = (consumers, self.clock())
            return consumers

    def _ask(self, queue):
        try:
            if self.connection is None:
                self.connection = Connection(self.amqp_uri, connect_timeout=1)
            channel = self.connection.channel()
            try:
                return channel.queue_declare(queue=queue, passive=True).consumer_count
            except amqp.exceptions.NotFound:
                return 0  # the broker closed the channel with the error
            finally:
                if channel.is_open:
                    channel.close()
        except Exception:
            # The call itself will meet the broker's trouble; this check must not add its own.
            log.warning("cannot count the consumers of %s", queue, exc_info=True)
            self.close()
            return None

    def close(self):
        if self.connection is not None:
            with contextlib.suppress(Exception):  # a broken connection is being thrown away
                self.connection.release()
            self.connection = None
