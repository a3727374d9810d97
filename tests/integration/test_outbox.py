"""The outbox on real PostgreSQL and RabbitMQ: saved with the change, relayed in order, once, through outages."""

import uuid
from datetime import timedelta

import eventlet
import mongomock
import pytest
from kombu import Connection, Exchange, Queue
from nameko.amqp.publish import Publisher
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from common import events
from common.clock import utcnow
from common.events import make_event
from common.outbox import MongoOutbox, RelayFailed, SqlOutbox
from events.contracts import SCHEDULED
from events.models import Event, OutboxMessage
from tests.support.private_rabbit import PrivateRabbit


@pytest.fixture
def engine(clean_databases):
    """The events service's migrated PostgreSQL database (its outbox table comes from its migration)."""
    engine = create_engine(clean_databases["events"])
    yield engine
    engine.dispose()


@pytest.fixture
def outbox(engine):
    return SqlOutbox(OutboxMessage, lambda: engine, "events")


def an_event():
    start = utcnow() + timedelta(days=3)
    return Event(
        organiser_id=uuid.uuid4(),
        title="Outbox",
        kind="online",
        join_url="https://meet.example.com/x",
        timezone="UTC",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=5,
        status=SCHEDULED,
        sequence=0,
    )


def save(engine, outbox, count):
    """``count`` events saved, each with its change; their envelopes in order."""
    saved = []
    with Session(engine) as session:
        for number in range(count):
            session.add(an_event())
            event = make_event(events.EVENT_CREATED, user_id="u1", number=number)
            outbox.add(session, event, {"nameko.correlation_id": f"c{number}"})
            session.commit()
            saved.append(event)
    return saved


class Recorder:
    """A publisher that records, and refuses while ``down`` (or from its ``fail_at``-th call on)."""

    def __init__(self, fail_at=None):
        self.published = []
        self.calls = 0
        self.fail_at = fail_at
        self.down = False

    def __call__(self, event_type, event, headers):
        self.calls += 1
        if self.down or (self.fail_at is not None and self.calls >= self.fail_at):
            raise ConnectionRefusedError("broker down")
        self.published.append((event_type, event, headers))


def test_the_event_row_is_committed_and_rolled_back_with_its_change(engine, outbox):
    with Session(engine) as session:
        session.add(an_event())
        outbox.add(session, make_event(events.EVENT_CREATED, user_id="u1"), {})
        session.flush()
        session.rollback()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    (saved,) = save(engine, outbox, 1)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1
        (row,) = session.scalars(select(OutboxMessage)).all()
        assert row.event_id == saved["event_id"] and row.event_type == events.EVENT_CREATED


def test_the_relay_publishes_in_order_and_keeps_what_the_broker_refused(engine, outbox):
    saved = save(engine, outbox, 5)
    publish = Recorder(fail_at=3)
    with pytest.raises(RelayFailed):
        outbox.relay(publish, batch_size=100)
    assert [event for _, event, _ in publish.published] == saved[:2]
    assert outbox.pending_count() == 3  # the refused one and those after it wait
    publish.fail_at = None
    assert outbox.relay(publish, batch_size=2) == 3  # in batches of 2: still in order
    assert [event["event_id"] for _, event, _ in publish.published] == [event["event_id"] for event in saved]
    assert [headers for _, _, headers in publish.published][0] == {"nameko.correlation_id": "c0"}
    assert outbox.pending_count() == 0  # published entries are deleted
    assert outbox.relay(publish, batch_size=100) == 0


def test_relays_running_at_once_publish_each_entry_once_in_order(engine, outbox):
    saved = save(engine, outbox, 30)
    published = []

    def slow_publish(event_type, event, headers):
        eventlet.sleep(0.01)  # let the other relays run meanwhile
        published.append(event["event_id"])

    # Three "replicas", each with its own SqlOutbox and connections.
    relays = [SqlOutbox(OutboxMessage, lambda: engine, "events") for _ in range(3)]
    pool = eventlet.GreenPool()
    results = list(pool.imap(lambda relay: relay.relay(slow_publish, batch_size=7), relays))
    assert sum(results) == 30
    assert published == [event["event_id"] for event in saved]


def test_a_mongo_entry_saved_twice_is_one_entry_published_once():
    collection = mongomock.MongoClient()["training"]["outbox"]
    outbox = MongoOutbox(collection, retention_seconds=3600, lease_seconds=30)
    outbox.ensure_indexes()
    enrolled = make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", envelope_id="enrolled-e1")
    outbox.add(enrolled, {})
    outbox.add(make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", envelope_id="enrolled-e1"), {})
    assert outbox.pending_count() == 1
    publish = Recorder()
    publish.down = True
    with pytest.raises(RelayFailed):
        outbox.relay(publish, batch_size=10)
    assert outbox.pending_count() == 1
    publish.down = False
    assert outbox.relay(publish, batch_size=10) == 1
    outbox.add(make_event(events.COURSE_ENROLLED, user_id="u1", course_id="c1", envelope_id="enrolled-e1"), {})
    assert outbox.relay(publish, batch_size=10) == 0  # a retry after publication saves nothing new
    assert [event for _, event, _ in publish.published] == [enrolled]


def test_a_lease_keeps_a_second_mongo_relay_off_an_entry_being_published():
    collection = mongomock.MongoClient()["training"]["outbox"]
    first, second = (MongoOutbox(collection, 3600, 30) for _ in range(2))
    first.add(make_event(events.COURSE_CREATED, user_id="u1"), {})
    seen = []

    def publish_while_another_relays(event_type, event, headers):
        seen.append(event["event_id"])
        assert second.relay(lambda *_: seen.append("twice"), batch_size=10) == 0

    assert first.relay(publish_while_another_relays, batch_size=10) == 1
    assert len(seen) == 1


@pytest.fixture(scope="module")
def broker():
    node = PrivateRabbit().start()
    yield node
    node.teardown()


def test_a_broker_outage_leaves_entries_that_arrive_once_when_it_is_back(engine, outbox, broker):
    exchange = Exchange("outbox-test.events", type="topic", durable=True, auto_delete=True)
    publisher = Publisher(broker.amqp_uri, declare=[exchange], retry_policy={"max_retries": 1, "interval_start": 0})
    assert publisher.use_confirms  # the broker confirms each entry before it is deleted

    def publish(event_type, event, headers):
        publisher.publish(event, exchange=exchange, routing_key=event_type, extra_headers=headers)

    received = []
    with Connection(broker.amqp_uri) as connection:
        queue = Queue(f"tap-{uuid.uuid4().hex}", exchange=exchange, routing_key="#", durable=True)
        queue(connection.channel()).declare()
        saved = save(engine, outbox, 2)
        assert outbox.relay(publish, batch_size=100) == 2

        broker.stop_app()
        try:
            saved += save(engine, outbox, 3)
            with pytest.raises(RelayFailed):
                outbox.relay(publish, batch_size=100)
            assert outbox.pending_count() == 3
        finally:
            broker.start_app()
        assert outbox.relay(publish, batch_size=100) == 3
        assert outbox.pending_count() == 0

    with (
        Connection(broker.amqp_uri) as connection,
        connection.Consumer(
            [Queue(queue.name, exchange=exchange, routing_key="#", durable=True)],
            callbacks=[lambda body, message: (received.append(body), message.ack())],
            accept=["json"],
        ),
        pytest.raises(TimeoutError),
    ):
        while True:
            connection.drain_events(timeout=1)
    assert [event["event_id"] for event in received] == [event["event_id"] for event in saved]
