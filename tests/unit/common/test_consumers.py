"""The consumer base: handlers declared from the catalogue, and a requeue only for an event not recorded."""

import inspect
from types import SimpleNamespace

import pytest
from nameko.events import EventHandler

from common import events
from common.consumers import NOT_RECORDED, InboxEventHandler, consume, consume_group, well_formed
from engagement.service import EngagementService
from notifications.service import NotificationsService
from notifications.templates import SUBSCRIBED


def handlers(cls):
    """``{attribute: (publisher, event type) pairs}`` of the class's event handlers that go through the inbox."""
    found = {}
    for name, method in inspect.getmembers(cls, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, InboxEventHandler):
                found[name] = entrypoint.subscriptions
    return found


@pytest.mark.parametrize(
    ("cls", "handled"), [(EngagementService, events.EVENT_TYPES), (NotificationsService, SUBSCRIBED)]
)
def test_each_consumer_handles_each_event_type_once_at_each_of_its_publishers(cls, handled):
    declared = handlers(cls)
    types = [event_type for subscriptions in declared.values() for event_type in {t for _, t in subscriptions}]
    assert sorted(types) == sorted(handled)  # every type, each by one handler
    for name, subscriptions in declared.items():
        for event_type in {t for _, t in subscriptions}:
            assert {p for p, t in subscriptions if t == event_type} == set(events.publishers_of(event_type))
        if len(subscriptions) == 1:  # the handler of one type: its name is part of the durable queue's name
            ((publisher, event_type),) = subscriptions
            assert name == f"on_{event_type.lower()}" and publisher == events.publisher_of(event_type)


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


def _set_up(entrypoint, method_name):
    class Container:  # what a handler reads of its container (Nameko keeps a weak reference to it)
        service_name = "engagement"
        config = {}
        shared_extensions = {}

    container = Container()
    bound = entrypoint.bind(container, method_name)
    registered = []
    bound.queue_consumer = SimpleNamespace(register_provider=registered.append)
    bound.setup()
    assert registered == [bound]
    return bound.queue


def test_a_group_of_types_and_a_type_several_services_publish_have_one_queue_bound_to_each():
    edits = (events.LESSON_UPDATED, events.LESSON_DELETED, events.SETTING_CHANGED)
    (group,) = consume_group("EDITS", *edits).nameko_entrypoints
    queue = _set_up(group, "on_edits")
    assert queue.name == "evt-group-EDITS--engagement.on_edits" and queue.durable and not queue.auto_delete
    assert {(b.exchange.name, b.routing_key) for b in queue.bindings} == {
        ("training.events", events.LESSON_UPDATED),
        ("training.events", events.LESSON_DELETED),
        *((f"{service}.events", events.SETTING_CHANGED) for service in events.SETTING_OWNERS),
    }
    declared = [b.exchange.name for b in queue.bindings if not b.exchange.no_declare]
    assert sorted(declared) == sorted({b.exchange.name for b in queue.bindings})  # each exchange declared once
    (setting,) = consume(events.SETTING_CHANGED).nameko_entrypoints
    assert setting.subscriptions == tuple((service, events.SETTING_CHANGED) for service in events.SETTING_OWNERS)
    assert _set_up(setting, "on_setting_changed").name == "evt-group-SETTING_CHANGED--engagement.on_setting_changed"
    (single,) = consume(events.COURSE_COMPLETED).nameko_entrypoints  # one type, one publisher: Nameko's own queue
    assert single.subscriptions == (("training", events.COURSE_COMPLETED),)
    assert (
        _set_up(single, "on_course_completed").name == "evt-training-COURSE_COMPLETED--engagement.on_course_completed"
    )
