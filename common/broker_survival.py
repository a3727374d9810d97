"""A lost broker connection never ends a service: Nameko 2.14 made three small fixes for that.

Nameko kills the whole container (and ``nameko run`` exits) when any worker thread raises past its
entrypoint. During a broker outage three things a worker does after its method ran can raise:

* an RPC worker sends its reply (``RpcConsumer.handle_result``): the publish fails once its retries are
  spent;
* a worker acks or requeues its request or event (``QueueConsumer.ack_message``/``requeue_message``): Nameko
  only skips that when the channel already knows its connection is gone, not when the socket breaks under
  the write (``ConnectionResetError``, ``BrokenPipeError``) or the broker closed it (``ConnectionForced``);
* anything else in a worker's set-up or tear-down that talks to the broker.

None of these is the service's fault nor fatal: the message that was being answered or acked was not
acked, so the broker hands it out again once it is back (RPC requests and events are durable and
persistent), and the caller of a lost reply has already been told its call failed. So each of those
failures is logged and the worker ends; the consumers reconnect by themselves (kombu), here with a short,
bounded pause between attempts (``BROKER_RECONNECT_MAX_INTERVAL`` seconds, 2 by default, instead of
kombu's growing pause of up to 30 s) so a service resumes within seconds of the broker's return.

Any other error in a worker still kills the container, as Nameko intends (it is a bug).

``install()`` applies the fixes once per process; ``common.service_base`` calls it, so every service,
the gateway included, gets them by importing its base.
"""

import logging
from contextlib import contextmanager

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from nameko.containers import ServiceContainer
from nameko.messaging import QueueConsumer
from nameko.rpc import RpcConsumer

log = logging.getLogger(__name__)

# What a lost or refused broker connection raises: sockets (OSError: reset, broken pipe, refused), amqp's
# connection and channel errors (the broker closing us), kombu's wrapper once publish retries are spent.
BROKER_ERRORS = (OSError, AMQPError, OperationalError)
RECONNECT_MAX_INTERVAL_KEY = "BROKER_RECONNECT_MAX_INTERVAL"
DEFAULT_RECONNECT_MAX_INTERVAL = 2.0

_installed = False


def _routing_key(message):
    try:
        return message.delivery_info.get("routing_key")
    except Exception:  # a message whose channel is gone may not answer either
        return None


def handle_result(self, message, result, exc_info):
    """``RpcConsumer.handle_result``: the reply and the ack, where a lost broker ends only this worker's
    answer (the request, not acked, is delivered again once the broker is back)."""
    try:
        return _original_handle_result(self, message, result, exc_info)
    except BROKER_ERRORS as exc:
        log.warning("reply to %s not sent, the broker is unreachable: %s", _routing_key(message), exc)
        return result, exc_info


def ack_message(self, message):
    try:
        _original_ack(self, message)
    except BROKER_ERRORS as exc:
        log.warning(
            "ack of %s lost with the broker connection (it will be delivered again): %s", _routing_key(message), exc
        )


def requeue_message(self, message):
    try:
        _original_requeue(self, message)
    except BROKER_ERRORS as exc:
        log.warning(
            "requeue of %s lost with the broker connection (the broker requeues it): %s", _routing_key(message), exc
        )


@contextmanager
def establish_connection(self):
    """kombu's ``ConsumerMixin.establish_connection`` with a short pause between attempts, forever."""
    config = getattr(getattr(self, "container", None), "config", None) or {}
    pause = float(config.get(RECONNECT_MAX_INTERVAL_KEY) or DEFAULT_RECONNECT_MAX_INTERVAL)
    with self.create_connection() as conn:
        conn.ensure_connection(
            self.on_connection_error,
            self.connect_max_retries,
            interval_start=min(1.0, pause),
            interval_step=min(1.0, pause),
            interval_max=pause,
        )
        yield conn


def handle_worker_thread_exited(self, gt, worker_ctx):
    """``ServiceContainer._handle_worker_thread_exited``: a worker that died of a broker failure is logged;
    anything else still kills the container."""
    self._worker_threads.pop(worker_ctx, None)
    try:
        gt.wait()
    except BROKER_ERRORS as exc:
        log.warning("%s: worker %s ended by a broker failure: %s", self, worker_ctx, exc)
        return
    except BaseException:  # noqa: S110 (not ours: Nameko's handling below waits on the thread again and decides)
        pass
    self._handle_thread_exited(gt)


_original_handle_result = RpcConsumer.handle_result
_original_ack = QueueConsumer.ack_message
_original_requeue = QueueConsumer.requeue_message


def install():
    """Apply the fixes (once per process)."""
    global _installed
    if _installed:
        return
    RpcConsumer.handle_result = handle_result
    QueueConsumer.ack_message = ack_message
    QueueConsumer.requeue_message = requeue_message
    QueueConsumer.establish_connection = establish_connection
    ServiceContainer._handle_worker_thread_exited = handle_worker_thread_exited
    _installed = True
