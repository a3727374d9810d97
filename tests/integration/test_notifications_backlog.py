"""notifications' event handlers take at most EVENT_CONCURRENCY workers at once, on real RabbitMQ, and lose
nothing while the others wait (notifications/backlog.py)."""

import eventlet
from nameko.standalone.events import event_dispatcher

from notifications.backlog import backlog_handler

running = {"now": 0, "most": 0, "done": 0}


class BacklogConsumer:
    name = "backlog_consumer"

    @backlog_handler("backlog_source", "HAPPENED")
    def on_happened(self, payload):
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
        eventlet.sleep(0.2)
        running["now"] -= 1
        running["done"] += 1


def test_a_backlog_of_events_is_handled_a_few_at_a_time_and_completely(container_factory, rabbit_config):
    config = {**rabbit_config, "NOTIFICATIONS": {"EVENT_CONCURRENCY": 3}}
    container = container_factory(BacklogConsumer, config)
    container.start()
    dispatch = event_dispatcher(rabbit_config)
    for number in range(12):
        dispatch("backlog_source", "HAPPENED", {"number": number})
    with eventlet.Timeout(20):
        while running["done"] < 12:
            eventlet.sleep(0.1)
    assert running["most"] == 3  # the queue held 12, and the service's 50 workers were free
