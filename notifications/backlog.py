"""Event handlers that take at most a few of the process's workers, however long the queues are.

Nameko hands a consumer as many messages as the service has workers (``max_workers``, 50) and runs them all
at once: after a restart the backlog of events took every worker (the user's RPCs waited behind it) and
called users fifty at a time. A ``backlog_handler`` waits for one of ``NOTIFICATIONS.EVENT_CONCURRENCY``
slots (8 by default) before it takes a worker; the messages waiting for a slot stay unacknowledged, so
nothing is lost if the process dies meanwhile.
"""

from eventlet.semaphore import Semaphore
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import SharedExtension

from common.consumers import InboxEventHandler

DEFAULT_EVENT_CONCURRENCY = 8


class EventSlots(SharedExtension):
    """One semaphore per service process, shared by all its ``backlog_handler``s."""

    def setup(self):
        section = self.container.config.get("NOTIFICATIONS") or {}
        size = section.get("EVENT_CONCURRENCY")
        self.semaphore = Semaphore(DEFAULT_EVENT_CONCURRENCY if size in (None, "") else max(int(size), 1))


class BacklogEventHandler(InboxEventHandler):
    slots = EventSlots()

    def handle_message(self, body, message):
        self.slots.semaphore.acquire()
        try:
            self.container.spawn_worker(
                self,
                (body,),
                {},
                context_data=self.unpack_message_headers(message),
                handle_result=lambda worker_ctx, result, exc_info: self._finished(message, result, exc_info),
            )
        except ContainerBeingKilled:
            self.slots.semaphore.release()
            self.queue_consumer.requeue_message(message)
        except BaseException:
            self.slots.semaphore.release()
            raise

    def _finished(self, message, result, exc_info):
        try:
            self.handle_message_processed(message, result, exc_info)
        finally:
            self.slots.semaphore.release()
        return result, exc_info


backlog_handler = BacklogEventHandler.decorator
