"""The fault scenarios, against the whole platform run as separate processes on a private broker.

Each scenario drives a steady mixed load through the gateway (event registrations, enrollments, bookings,
reads), breaks one part, and counts: requests failed, requests done although their caller was told they
failed, saved changes whose event never reached the bus (or reached it more than once), events whose effect a
consumer applied twice, services that exited, and seconds until requests succeed again. The counts of every
scenario go to the table printed at the end (tests/support/fault_report.py).

``make test`` runs the broker-outage scenario; the ones marked ``faults_full`` run with ``make faults``
(the whole suite takes about five minutes on two cores).
"""

import time
import uuid

import eventlet
import pytest
import requests

from tests.support import fault_report
from tests.support.fault_load import BOOK, ENROLL, REGISTER, LoadDriver
from tests.support.fault_platform import EVENT_OF, FaultPlatform

WRITES = (REGISTER, ENROLL, BOOK)
OUTAGE_SECONDS = 15


@pytest.fixture(scope="module")
def platform(private_rabbit):
    platform = FaultPlatform(private_rabbit)
    platform.done_writes = []  # every write saved so far, by any scenario: the consumers' expected effects
    try:
        yield platform.start()
    except Exception:
        if platform.processes is not None:
            for service in platform.processes.services:
                print(f"--- {service}\n{platform.processes.log_tail(service)}")
        raise
    finally:
        platform.stop()


@pytest.fixture
def ready(platform, rabbit):
    """Every service answering before a scenario starts (a failed scenario may have left one down)."""
    for service in platform.processes.services:
        if not platform.processes.running(service):
            platform.processes.start(service)
    platform.wait_healthy(60)
    return platform


def run_load(platform, fault, before=3.0, most_after=40.0, clients=3, pause=0.3, mix=None):
    """Load, ``fault()`` after ``before`` seconds (it returns when the fault is over), load until requests
    succeed again for a while (at most ``most_after`` seconds); the outcomes and the end of the fault."""
    driver = LoadDriver(platform.cast, clients=clients, pause=pause, **({"mix": mix} if mix else {}))
    driver.start()
    eventlet.sleep(before)
    fault()
    fault_end = time.monotonic()
    while time.monotonic() - fault_end < most_after:
        eventlet.sleep(0.5)
        recent = [o for o in driver.outcomes if o.started > time.monotonic() - 4]
        if time.monotonic() - fault_end > 6 and recent and all(o.ok for o in recent):
            break
    return driver.stop(), fault_end


def assess(platform, name, outcomes, fault_end, settle=25.0):
    """The scenario's row of counts."""
    eventlet.sleep(3)  # requests still queued somewhere run now, or never
    outcomes = sorted(outcomes, key=lambda o: o.started)
    writes = [o for o in outcomes if o.kind in WRITES]
    done_at = {id(o): platform.done_at(o) for o in writes}
    done = {id(o): done_at[id(o)] is not None for o in writes}
    saved = [o for o in writes if done[id(o)]]
    platform.done_writes += saved

    # The consumers' effects: each saved write's in-app notification, once.
    deadline = time.monotonic() + settle
    while True:
        bus = platform.bus.collect()
        effects, short = {}, False
        for learner_id, _ in platform.cast.learners:
            expected = {}
            for o in platform.done_writes:
                if o.key[0] == learner_id:
                    expected[EVENT_OF[o.kind]] = expected.get(EVENT_OF[o.kind], 0) + 1
            actual = platform.effects_of(learner_id) if expected else {}
            effects[learner_id] = (expected, actual)
            short = short or any(actual.get(kind, 0) < count for kind, count in expected.items())
        if not short or time.monotonic() > deadline:
            break
        eventlet.sleep(2)
    effect_twice = sum(
        max(0, actual.get(kind, 0) - count) for expected, actual in effects.values() for kind, count in expected.items()
    )
    published = {id(o): len(platform.events_for(o, bus)) for o in writes}
    failures = [o for o in outcomes if not o.ok]
    late = [o for o in failures if o.ended >= fault_end]
    recover = (max(o.ended for o in late) - fault_end) if late else 0.0
    if outcomes and not outcomes[-1].ok:
        recover = None  # still failing when the load stopped
    row = {
        "scenario": name,
        "requests": len(outcomes),
        "failed": len(failures),
        # Saved after its client was told it failed (a write saved before, whose answer was lost with the
        # broker, is not: nobody ran it behind its caller's back). Once per write, however often it was tried.
        "done_after_failed": len(
            {(o.kind, o.key) for o in writes if not o.ok and done[id(o)] and done_at[id(o)] > o.told_failed_at}
        ),
        "saved_before_failure_told": sum(
            1 for o in writes if not o.ok and done[id(o)] and done_at[id(o)] <= o.told_failed_at
        ),
        "without_event": sum(1 for o in saved if published[id(o)] == 0),
        "extra_events": sum(max(0, published[id(o)] - 1) for o in saved)
        + sum(published[id(o)] for o in writes if not done[id(o)]),
        "effect_twice": effect_twice,
        "exited": len(platform.processes.exited()),
        "recover_seconds": recover,
        "writes": len(writes),
        "saved": len(saved),
    }
    return row


def record(row, checks):
    """Add the row to the table with its verdict, then fail the test on the first broken promise."""
    broken = [message for ok, message in checks if not ok]
    row["result"] = "pass" if not broken else "FAIL: " + "; ".join(broken)
    fault_report.add(row)
    assert not broken, row


def test_a_15_second_broker_outage_leaves_every_service_running_and_resuming_by_itself(ready, rabbit):
    platform = ready

    # A burst of writes when the broker goes: workers in the middle of their method, whose reply or ack then
    # has no broker (what used to end the process), and events being handled by the consumers.
    burst = LoadDriver(platform.cast, clients=12, pause=0.0, mix=WRITES)

    def outage():
        burst.start()
        eventlet.sleep(0.7)
        rabbit.stop_app()
        burst.running = False  # its clients end with the request they are in
        eventlet.sleep(OUTAGE_SECONDS)
        rabbit.start_app()

    outcomes, fault_end = run_load(platform, outage)
    outcomes += burst.stop()
    healthy_again = platform.healthy()
    row = assess(platform, f"broker outage {OUTAGE_SECONDS} s", outcomes, fault_end)
    record(
        row,
        [
            (row["exited"] == 0, f"services exited: {platform.processes.exited()}"),
            (healthy_again, "not every service answers after the outage"),
            (row["recover_seconds"] is not None and row["recover_seconds"] < 30, "requests did not recover in 30 s"),
            (row["done_after_failed"] == 0, "writes done after their caller was told they failed"),
            (row["without_event"] == 0, "saved changes without their event"),
            (row["effect_twice"] == 0, "an event applied twice by a consumer"),
        ],
    )


@pytest.mark.faults_full
def test_a_killed_service_runs_none_of_the_queued_requests_whose_callers_got_a_503(ready):
    platform = ready

    def kill_events_then_restart():
        platform.processes.kill("events")  # SIGKILL: what it held goes back to its queue
        eventlet.sleep(platform.gateway_timeout + 3)  # its callers meanwhile are told 503
        platform.processes.start("events")
        platform.wait_healthy(60, ["events"])

    outcomes, fault_end = run_load(platform, kill_events_then_restart)
    row = assess(platform, "events killed, requests queued", outcomes, fault_end)
    told_503 = [o for o in outcomes if o.status == 503]
    record(
        row,
        [
            (bool(told_503), "no caller was told 503 (the scenario did not happen)"),
            (row["done_after_failed"] == 0, "requests whose callers got a 503 were run"),
            (row["exited"] == 0, f"services exited: {platform.processes.exited()}"),
            (row["without_event"] == 0, "saved changes without their event"),
            (row["effect_twice"] == 0, "an event applied twice by a consumer"),
        ],
    )


@pytest.mark.faults_full
def test_every_saved_write_has_exactly_one_event_across_an_outage_while_publishing(ready, rabbit):
    platform = ready

    def short_outage():
        rabbit.stop_app()
        eventlet.sleep(8)
        rabbit.start_app()

    outcomes, fault_end = run_load(platform, short_outage, clients=4, pause=0.1, mix=(REGISTER, ENROLL, BOOK))
    row = assess(platform, "outage while publishing", outcomes, fault_end)
    record(
        row,
        [
            (row["saved"] > 0, "nothing was saved (the scenario did not happen)"),
            (row["without_event"] == 0, "saved changes without their event"),
            (row["extra_events"] == 0, "events published twice, or for changes not saved"),
            (row["effect_twice"] == 0, "an event applied twice by a consumer"),
            (row["exited"] == 0, f"services exited: {platform.processes.exited()}"),
        ],
    )


@pytest.mark.faults_full
def in_progress(outcome):
    error = (outcome.body or {}).get("error") or {}
    return outcome.status == 409 and (error.get("details") or {}).get("reason") == "in_progress"


def test_a_write_retried_with_the_same_idempotency_key_after_a_timeout_is_done_once(ready):
    platform = ready
    driver = LoadDriver(platform.cast, clients=1)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    session = requests.Session()
    outcomes = []
    platform.processes.pause("coaching")  # hung: the request waits in its queue until the gateway gives up
    try:
        outcomes.append(driver.send(session, BOOK, headers=key))
    finally:
        platform.processes.resume("coaching")
    fault_end = time.monotonic()
    first = outcomes[0]
    retry = first
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # The same request again, as a client that got no answer does: same key, same body.
        retry = driver._request(
            session,
            BOOK,
            first.key,
            "POST",
            "/coaching/sessions",
            platform.token_of(first.key[0]),
            key,
            json={"coach_id": platform.cast.coach_id, "start": first.key[1]},
        )
        outcomes.append(retry)
        # 409 "in progress" (with Retry-After) means the first attempt's fate is not known yet: a client waits and
        # sends the same request again, as after a 503.
        if retry.status not in (None, 502, 503, 504) and not in_progress(retry):
            break
        eventlet.sleep(1)
    row = assess(platform, "retry with Idempotency-Key", outcomes, fault_end)
    sessions = 1 if platform.done_at(first) is not None else 0
    published = len(platform.events_for(first, platform.bus.collect()))
    record(
        row,
        [
            (not first.ok, f"the first attempt did not time out ({first.status})"),
            (retry.status == 201, f"the retry was answered {retry.status}, not the booking's 201"),
            (sessions == 1 and published == 1, f"booked {sessions} time(s), {published} SESSION_BOOKED event(s)"),
            (row["effect_twice"] == 0, "an event applied twice by a consumer"),
        ],
    )
