"""Whether the platform in this process is ready to be used.

Ready unless told otherwise: a gateway run alone has nothing to wait for.
Embedded mode marks it starting until its admin and demo accounts are seeded,
and the gateway's ``GET /health`` answers 503 until then.
"""

import threading

_ready = threading.Event()
_ready.set()


def mark_starting():
    _ready.clear()


def mark_ready():
    _ready.set()


def is_ready():
    return _ready.is_set()
