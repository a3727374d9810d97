"""Account lookups shared by every worker of one notifications process.

After a restart, the backlog's events are handled side by side, and each wanted a few addresses from users
(``users.get_accounts``): dozens of small calls at once, many timing out. Here the lookups that arrive
together become one call: the first worker to ask waits ``window`` for others to join, then calls users for
all of them (at most ``max_ids`` ids a call, one call at a time for the whole process) and hands each worker
its part; a worker arriving meanwhile joins the next call. A failed call (users timed out) fails every lookup
it held, each of which is retried by its event's inbox soon after.
"""

import eventlet
from eventlet.event import Event


class _Lookup:
    def __init__(self, user_ids):
        self.user_ids = list(dict.fromkeys(str(user_id) for user_id in user_ids))
        self.done = Event()


class AccountBatcher:
    """``get(user_ids, fetch)``: ``{user_id: account}``, with ``fetch(ids)`` (one ``users.get_accounts``
    call of the asking worker) called for this lookup and others waiting with it."""

    def __init__(self, max_ids=100, window=0.02):
        self.max_ids = max_ids
        self.window = window
        self.waiting = []
        self.leading = False
        self.calls = 0  # users.get_accounts calls made (shown by tests)

    def get(self, user_ids, fetch):
        lookup = _Lookup(user_ids)
        if not lookup.user_ids:
            return {}
        self.waiting.append(lookup)
        if not self.leading:
            self._lead(fetch)
        return lookup.done.wait()  # raises the call's error, if it failed

    def _lead(self, fetch):
        """Call users for everyone waiting, a batch at a time, until nobody is."""
        self.leading = True
        try:
            eventlet.sleep(self.window)
            while self.waiting:
                self._call(self._next_batch(), fetch)
        finally:
            self.leading = False

    def _next_batch(self):
        batch, ids = [], set()
        while self.waiting:
            wanted = ids | set(self.waiting[0].user_ids)
            if batch and len(wanted) > self.max_ids:
                break
            batch.append(self.waiting.pop(0))
            ids = wanted
        return batch

    def _call(self, batch, fetch):
        ids = sorted({user_id for lookup in batch for user_id in lookup.user_ids})
        self.calls += 1
        try:
            accounts = fetch(ids) or {}
        except Exception as exc:
            for lookup in batch:
                lookup.done.send_exception(exc)
            return
        for lookup in batch:
            lookup.done.send({user_id: accounts[user_id] for user_id in lookup.user_ids if user_id in accounts})
