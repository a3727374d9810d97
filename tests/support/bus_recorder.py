"""Every event published on some services' exchanges, kept by the broker until the test reads them.

Unlike ``EventTap`` (an exclusive queue, gone with its connection), a ``BusRecorder`` binds one durable
queue per exchange: a broker outage (``stop_app``/``start_app``) keeps them and the persistent events in
them, so what was published before, during and after the outage can all be counted at the end.
"""

import uuid

from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange


class BusRecorder:
    def __init__(self, amqp_uri, services):
        self.amqp_uri = amqp_uri
        tag = uuid.uuid4().hex[:8]
        self.queues = [
            Queue(f"fault-bus-{service}-{tag}", exchange=get_event_exchange(service, {}), routing_key="#", durable=True)
            for service in services
        ]
        self.events = []
        with Connection(amqp_uri) as connection:
            channel = connection.channel()
            for queue in self.queues:
                queue(channel).declare()

    def collect(self):
        """Read what arrived since the last call; returns every event recorded so far."""
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for queue in self.queues:
                bound = queue(channel)
                while (message := bound.get(no_ack=True, accept=["json"])) is not None:
                    self.events.append(message.decode())
        return self.events

    def delete(self):
        with Connection(self.amqp_uri) as connection:
            channel = connection.channel()
            for queue in self.queues:
                queue(channel).delete()
