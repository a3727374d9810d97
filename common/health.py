"""What a service's ``health`` RPC checks: each store it depends on, with status and latency.

A check is a small query (``SELECT 1``, a MongoDB ``ping``, a Redis ``PING``); a store that fails it makes
the service ``degraded``. The broker needs no check of its own: the health call itself came over it.
"""

import time

from sqlalchemy import text

OK = "ok"
DEGRADED = "degraded"
FAILED = "failed"


def check(probe):
    """``{"status", "latency_ms"[, "reason"]}`` for one probe (a callable that raises when the store is down)."""
    started = time.monotonic()
    try:
        probe()
    except Exception as exc:  # any failure of the store is the answer, not an error of the health call
        entry = {"status": FAILED, "reason": reason_of(exc)}
    else:
        entry = {"status": OK}
    entry["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    return entry


def reason_of(exc):
    """A short, single-line reason: the exception's kind and the first line of its message."""
    first_line = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first_line}"[:200]


def sql_probe(session):
    def probe():
        try:
            session.execute(text("SELECT 1"))
        finally:
            session.rollback()

    return probe


def mongo_probe(database):
    return lambda: database.command("ping")


def redis_probe(client):
    return client.ping


def report(service, version, checks):
    """The health answer: ``ok`` only when every check passed."""
    healthy = all(entry["status"] == OK for entry in checks.values())
    return {"status": OK if healthy else DEGRADED, "service": service, "version": version, "checks": checks}
