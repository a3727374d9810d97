"""The ``Delivery`` dependency: how messages go out, from config.yaml's NOTIFICATIONS.

The senders (``{"email"|"sms"|"push": sender}``), the lease a worker claims a message (or an announcement)
for, the page of users an announcement is fanned out by, how many recipients an event may have for its
messages to be sent inside its handler, and the account lookups the process's workers share.
"""

import logging
from datetime import timedelta

from nameko.extensions import DependencyProvider

from common.pagination import MAX_PAGE_SIZE
from notifications import outbox
from notifications.accounts import AccountBatcher
from notifications.channels import senders_from_config

log = logging.getLogger(__name__)

# users answers at most a page (common.pagination.MAX_PAGE_SIZE) per call: list_accounts and get_accounts.
ANNOUNCEMENT_PAGE = MAX_PAGE_SIZE
ACCOUNTS_PER_CALL = MAX_PAGE_SIZE
# An event for more people than this leaves its emails, SMS and pushes to the outbox timer (deliver_due)
# rather than sending them inside the handler.
INLINE_SEND_RECIPIENTS = 10


def page_size_from_config(value):
    """``NOTIFICATIONS.ANNOUNCEMENT_PAGE_SIZE``, kept within what users answers (1 to ``MAX_PAGE_SIZE``): a
    larger page would be refused by users on every run, and no announcement would ever go out."""
    size = int(value or ANNOUNCEMENT_PAGE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        clamped = min(max(size, 1), MAX_PAGE_SIZE)
        log.warning("NOTIFICATIONS.ANNOUNCEMENT_PAGE_SIZE %s is outside 1..%s: using %s", size, MAX_PAGE_SIZE, clamped)
        size = clamped
    return size


class Delivery(DependencyProvider):
    def setup(self):
        section = self.container.config.get("NOTIFICATIONS") or {}
        self.senders = senders_from_config(section)
        self.lease = timedelta(seconds=float(section.get("SEND_LEASE_SECONDS") or outbox.LEASE.total_seconds()))
        self.announcement_page = page_size_from_config(section.get("ANNOUNCEMENT_PAGE_SIZE"))
        inline = section.get("INLINE_SEND_RECIPIENTS")
        self.inline_send_recipients = INLINE_SEND_RECIPIENTS if inline is None else int(inline)
        # One per process: the lookups of workers handling events side by side become one call to users.
        self.accounts = AccountBatcher(max_ids=ACCOUNTS_PER_CALL)

    def get_dependency(self, worker_ctx):
        return self
