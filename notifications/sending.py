"""Sending stored messages: one claimed message, the due retries, the due digests.

``Sender`` holds what every send needs (the database, the senders, the claim lease, the attempts and the
backoff of the moment, read from the runtime settings when a worker starts); each send claims its message
first (``outbox.claim``), so two workers or replicas never send the same one.
"""

import logging
from dataclasses import dataclass

from notifications import outbox

log = logging.getLogger(__name__)

RETRY_BATCH = 200


@dataclass(frozen=True)
class Sender:
    db: object
    senders: dict
    lease: object  # timedelta
    max_attempts: int
    backoff_seconds: float
    compose_email: object = None  # document -> EmailContent (notifications/emails.py)

    def send(self, notification_id, now):
        """Send one message if it can be claimed (pending and due)."""
        document = outbox.claim(self.db, notification_id, now, self.lease)
        if document is not None:
            self.attempt(document, now)

    def attempt(self, document, now):
        status = outbox.attempt(
            self.db, document, self.senders, now, self.max_attempts, self.backoff_seconds, self.compose_email
        )
        if status == outbox.FAILED:
            log.warning("%s to %s failed for good: %s", document["channel"], document["user_id"], document["_id"])

    def send_event(self, event_id, now):
        """The messages of one event still waiting to be sent."""
        for notification_id in outbox.due_to_send(self.db, event_id):
            self.send(notification_id, now)

    def send_due_retries(self, now, limit=RETRY_BATCH):
        """Up to ``limit`` due messages, most overdue first, each tried at most once a run."""
        tried = []
        for _ in range(limit):
            document = outbox.claim_next_due(self.db, now, self.lease, skip=tried)
            if document is None:
                return
            tried.append(document["_id"])
            self.attempt(document, now)

    def send_digests(self, now, schedule):
        for (user_id, channel, address, due_at), items in outbox.due_digest_groups(self.db, now, schedule).items():
            digest = outbox.make_digest(self.db, user_id, channel, address, due_at, items, now)
            self.send(digest["_id"], now)
