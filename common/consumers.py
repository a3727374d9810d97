"""Event consumers (notifications, engagement): one way to take the other services' domain events in reliably.

A consumer service inherits ``EventConsumer`` and declares, in its class body:

* ``consumption = Consumption("<CONFIG SECTION>")``: the lease an event is handled under
  (``PROCESS_LEASE_SECONDS``, 60 s), the attempts before it is given up (``MAX_PROCESS_ATTEMPTS``, 10), the
  delay before a failed handling is tried again (``EVENT_RETRY_SECONDS``, 5 s, doubled with each attempt, at
  most a lease) and the pause before an event that could not even be recorded goes back to the broker
  (``REQUEUE_DELAY_SECONDS``, 1 s);
* one line per event type it handles, ``on_course_completed = consume(events.COURSE_COMPLETED)``, so that
  grepping an event's name finds who handles it. The publisher comes from the catalogue
  (``common.events.publishers_of``). The attribute's name is part of the handler's durable queue
  (``evt-<publisher>-<TYPE>--<service>.on_<type>``): keep it ``on_`` and the type in lower case.
  A group of types handled alike, ``on_<name> = consume_group("<NAME>", *types)`` (a type several services
  publish, SETTING_CHANGED, is one too), has one queue, ``evt-group-<NAME>--<service>.on_<name>``, bound to
  each type at each of its publishers' exchanges: every queue costs the broker a round at each start (and the
  test suite starts the platform often), so types a consumer only logs share one;
* ``process_event(event)``: what the event means to it, every step idempotent (safe to run again). What it
  returns is handed to ``event_processed(event, result)`` once the event is marked processed (notifications
  sends a small fan-out's emails there, so a failed send does not store the messages twice);
* a timer that calls ``handle_interrupted_events()``.

``handle_event`` records every event in the ``inbox`` collection of the service's ``db`` (``common.inbox``)
before anything else: a redelivery of a handled event stops there. If even recording fails, the handler raises
after ``REQUEUE_DELAY_SECONDS`` and the broker delivers the event again (``InboxEventHandler`` requeues exactly
these); a failed handling is recorded in the inbox and retried by the timer, never requeued.
"""

import logging
from datetime import timedelta

import eventlet
from kombu import Exchange, Queue, binding
from nameko.events import EventHandler, get_event_exchange
from nameko.extensions import DependencyProvider
from nameko.messaging import Consumer

from common.clock import utcnow
from common.events import publishers_of
from common.inbox import LEASE, RETRY_DELAY, Inbox

log = logging.getLogger(__name__)

INBOX = "inbox"
MAX_ATTEMPTS = 10
REQUEUE_DELAY_SECONDS = 1.0
STALE_BATCH = 100
# Set on an exception raised because the event could not be recorded: its message goes back to the broker.
NOT_RECORDED = "event_not_recorded"
# The ``source_service`` of a handler of a group of types (``consume_group``), the second word of its queue's name.
GROUP = "group"


class Consumption(DependencyProvider):
    """A consumer's inbox settings, from config.yaml's ``section`` (``lease_key`` names the lease's key)."""

    def __init__(self, section, lease_key="PROCESS_LEASE_SECONDS"):
        self.section = section
        self.lease_key = lease_key

    def setup(self):
        config = self.container.config.get(self.section) or {}
        self.lease = timedelta(seconds=_number(config, self.lease_key, LEASE.total_seconds()))
        self.max_attempts = int(_number(config, "MAX_PROCESS_ATTEMPTS", MAX_ATTEMPTS))
        self.retry_delay = timedelta(seconds=_number(config, "EVENT_RETRY_SECONDS", RETRY_DELAY.total_seconds()))
        self.requeue_delay = _number(config, "REQUEUE_DELAY_SECONDS", REQUEUE_DELAY_SECONDS)

    def get_dependency(self, worker_ctx):
        return self


def _number(config, key, default):
    value = config.get(key)
    return default if value in (None, "") else float(value)


def well_formed(event):
    """Only an event with an id and a type can be recorded; anything else is dropped (never requeued)."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("event_id"), str)
        and bool(event["event_id"])
        and isinstance(event.get("event_type"), str)
    )


class InboxEventHandler(EventHandler):
    """An event handler that gives the message back to the broker only when the event could not be recorded:
    a recorded event's failure is the inbox's to retry (a requeue would retry it at once, again and again).

    ``subscriptions``: the (publisher, event type) pairs it takes, one unless it handles a group (then
    ``source_service`` is ``GROUP`` and ``event_type`` the group's name): one durable queue bound to each."""

    def __init__(self, source_service, event_type, subscriptions=(), **kwargs):
        super().__init__(source_service, event_type, **kwargs)
        self.subscriptions = tuple(subscriptions) or ((source_service, event_type),)

    def setup(self):
        if self.source_service != GROUP:
            super().setup()
            return
        config = self.container.config
        bindings, declared = [], set()
        for publisher, event_type in self.subscriptions:
            exchange = get_event_exchange(publisher, config)
            if publisher in declared:  # each exchange is declared once, however many of its types are bound
                exchange = Exchange(exchange.name, exchange.type, durable=exchange.durable, no_declare=True)
            declared.add(publisher)
            bindings.append(binding(exchange, routing_key=event_type))
        name = f"evt-{GROUP}-{self.event_type}--{self.container.service_name}.{self.method_name}"
        self.queue = Queue(name, bindings=bindings, durable=True, auto_delete=False, exclusive=False)
        Consumer.setup(self)  # what EventHandler.setup does once it has made its queue

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is not None and getattr(exc_info[1], NOT_RECORDED, False):
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)


def _handler(name):
    def handle(self, event):
        self.handle_event(event)

    handle.__name__ = f"on_{name.lower()}"
    return handle


def consume(event_type, handler_type=InboxEventHandler):
    """The handler of ``event_type`` (subscribed at its publishers, by the catalogue): it hands the event to
    ``handle_event``. Assign it as ``on_<event type in lower case>``."""
    publishers = publishers_of(event_type)
    if len(publishers) > 1:
        return consume_group(event_type, event_type, handler_type=handler_type)
    return handler_type.decorator(publishers[0], event_type)(_handler(event_type))


def consume_group(name, *event_types, handler_type=InboxEventHandler):
    """One handler, and one durable queue, for several event types (each at every one of its publishers) that
    the consumer handles alike. Assign it as ``on_<name in lower case>``."""
    subscriptions = tuple(
        (publisher, event_type) for event_type in event_types for publisher in publishers_of(event_type)
    )
    return handler_type.decorator(GROUP, name, subscriptions=subscriptions)(_handler(name))


class EventConsumer:
    """Base of a consumer service (see the module's docstring)."""

    # A redacting function the event goes through before the inbox keeps it (None: kept whole).
    redact_inbox = None
    # True: a failed handling also fails the worker (Nameko logs it with the worker's context); else it is logged.
    failed_handling_raises = False

    def now(self):
        return utcnow()

    def _inbox(self):
        redact = type(self).redact_inbox
        return Inbox(self.db[INBOX], self.consumption.lease, redact=redact, retry_delay=self.consumption.retry_delay)

    def process_event(self, event):
        raise NotImplementedError

    def event_processed(self, event, result):
        """Runs once the event is marked processed; nothing by default."""

    def handle_event(self, event):
        """Every subscribed event comes here: recorded, then handled (once, however often it is delivered)."""
        if not well_formed(event):
            log.warning("%s dropped an event without event_id or event_type: %.200r", self.name, event)
            return
        try:
            fresh = self._inbox().receive(event, self.now())
        except Exception as exc:
            # Not even recorded: raising gives it back to the broker, after a pause so that a store that is down
            # is not hammered with the same message.
            log.warning("%s could not record %s; it goes back to the queue", self.name, event["event_id"])
            setattr(exc, NOT_RECORDED, True)
            eventlet.sleep(self.consumption.requeue_delay)
            raise
        if not fresh:
            return  # a redelivered event: handled already
        try:
            self.handle_recorded(event)
        except Exception as exc:
            log.exception(
                "%s failed to handle %s %s; it will be retried", self.name, event["event_type"], event["event_id"]
            )
            try:
                self._inbox().retry_soon(event["event_id"], exc, self.now())
            except Exception:
                log.warning("could not record the error of %s", event["event_id"])
            if self.failed_handling_raises:
                raise

    def handle_recorded(self, event):
        """Handle a recorded event and mark it processed; raises if handling fails (it stays ``received``)."""
        result = self.process_event(event)
        self._inbox().mark_processed(event["event_id"], self.now())
        self.event_processed(event, result)

    def handle_interrupted_events(self, limit=STALE_BATCH):
        """The retry timer's part: events recorded but not processed past their lease (their handler failed or
        died) are handled again, each at most ``MAX_PROCESS_ATTEMPTS`` times, one bad one holding back none."""
        self._inbox().handle_stale(
            self.now(), self.handle_recorded, max_attempts=self.consumption.max_attempts, limit=limit
        )
