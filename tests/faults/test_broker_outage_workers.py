"""Workers caught by a broker outage: an RPC whose reply cannot be sent, an event whose ack cannot be sent,
a timer publishing into the void. The container lives through it and serves again by itself."""

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.events import EventDispatcher, event_handler
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.timer import timer

from common.service_base import PlatformService

SERVICE = "outage_survivor"
calls = {"slow": 0, "handled": 0, "ticks": 0, "tick_failures": 0}
started = {"slow": eventlet.event.Event(), "handler": eventlet.event.Event()}


class OutageSurvivor(PlatformService):
    name = SERVICE
    dispatch = EventDispatcher()

    @rpc
    def answer_slowly(self, seconds):
        calls["slow"] += 1
        started["slow"].send() if not started["slow"].ready() else None
        eventlet.sleep(seconds)
        return "done"

    @rpc
    def answer(self):
        return "here"

    @event_handler(SERVICE, "ping")
    def on_ping(self, payload):
        calls["handled"] += 1
        started["handler"].send() if not started["handler"].ready() else None
        eventlet.sleep(payload["seconds"])

    @timer(interval=0.5)
    def tick(self):
        calls["ticks"] += 1
        try:
            self.dispatch("tick", {})
        except Exception:
            calls["tick_failures"] += 1
            raise


@pytest.fixture
def container(rabbit):
    config = {"AMQP_URI": rabbit.amqp_uri, "BROKER_RECONNECT_MAX_INTERVAL": 1, "max_workers": 10}
    container = ServiceContainer(OutageSurvivor, config)
    container.start()
    yield container
    if not container._died.ready():
        container.kill()


def test_rpc_reply_event_ack_and_timer_with_the_broker_down_do_not_kill_the_service(rabbit, container):
    config = {"AMQP_URI": rabbit.amqp_uri}
    proxy_context = ClusterRpcProxy(config, timeout=30)
    proxy = proxy_context.start()
    try:
        pending = proxy[SERVICE].answer_slowly.call_async(3)
        event_dispatcher(config)(SERVICE, "ping", {"seconds": 3})
        with eventlet.Timeout(10):
            started["slow"].wait()
            started["handler"].wait()
        rabbit.stop_app()  # the reply and the ack are due in 3 s, with no broker
        eventlet.sleep(8)  # the workers end, the timer keeps failing
        assert calls["tick_failures"] > 0
        assert not container._died.ready(), "the container was killed by the outage"
        rabbit.start_app()
        del pending  # its reply queue went with the broker
    finally:
        proxy_context.stop()

    # By itself, within seconds, the service serves again and the unacked event comes back.
    with eventlet.Timeout(20):
        while True:
            try:
                with ClusterRpcProxy(config, timeout=3) as fresh:
                    assert fresh[SERVICE].answer() == "here"
                break
            except Exception:
                eventlet.sleep(0.5)
        while calls["handled"] < 2:
            eventlet.sleep(0.2)
    assert not container._died.ready()
    ticks = calls["ticks"]
    with eventlet.Timeout(20):  # the timer still runs (a tick caught by the outage may take a while to give up)
        while calls["ticks"] <= ticks + 2:
            eventlet.sleep(0.2)
