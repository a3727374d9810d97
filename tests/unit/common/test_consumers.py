"""The consumer base: handlers declared from the catalogue, and a requeue only for an event not recorded."""

import inspect
from types import SimpleNamespace

import pytest
from nameko.events import EventHandler

from common import events
from common.consumers import NOT_RECORDED, InboxEventHandler, consume, well_formed
from engagement.service import EngagementService
from notifications.service import NotificationsService
from notifications.templates import SUBSCRIBED


def handlers(cls):
    """``{attribute: (publisher, event type)}`` of the class's event handlers that go through the inbox."""
    found = {}
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, InboxEventHandler):
                found[name] = (entrypoint.source_service, entrypoint.event_type)
    return found


@pytest.mark.parametrize(
    ("cls", "handled"), [(EngagementService, events.EVENT_TYPES), (NotificationsService, SUBSCRIBED)]
)
def test_each_consumer_declares_one_handler_per_event_type_at_its_publisher(cls, handled):
    declared = handlers(cls)
    assert {event_type for _, event_type in declared.values()} == set(handled)
    for name, (publisher, event_type) in declared.items():
        assert name == f"on_{event_type.lower()}"  # part of the durable queue's name: it must not change
        assert publisher == events.publisher_of(event_type)


def test_a_handler_hands_the_event_to_handle_event():
    class Consumer:
        on_course_completed = consume(events.COURSE_COMPLETED)

        def handle_event(self, event):
            self.seen = event

    consumer = Consumer()
    consumer.on_course_completed({"event_id": "e1"})
    assert consumer.seen == {"event_id": "e1"}
    with pytest.raises(KeyError):
        consume("NOT_IN_THE_CATALOGUE")


def test_only_an_event_that_could_not_be_recorded_goes_back_to_the_broker():
    handler = InboxEventHandler("training", events.COURSE_COMPLETED)
    done = []
    handler.queue_consumer = SimpleNamespace(
        requeue_message=lambda message: done.append(("requeued", message)),
        ack_message=lambda message: done.append(("acked", message)),
    )
    unrecorded = ConnectionError("store down")
    setattr(unrecorded, NOT_RECORDED, True)
    handler.handle_message_processed("m1", exc_info=(ConnectionError, unrecorded, None))
    failed = RuntimeError("users timed out")  # recorded: the inbox retries it, a requeue would retry it at once
    handler.handle_message_processed("m2", exc_info=(RuntimeError, failed, None))
    handler.handle_message_processed("m3", result=None)
    assert done == [("requeued", "m1"), ("acked", "m2"), ("acked", "m3")]
    assert isinstance(handler, EventHandler)


def test_anything_but_an_event_is_not_well_formed():
    assert well_formed(events.make_event(events.USER_LOGGED_IN, user_id="u1", provider="local"))
    assert not well_formed({"event_type": events.COURSE_ENROLLED})
    assert not well_formed("garbage")
