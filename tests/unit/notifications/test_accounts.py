"""The account lookups of concurrent workers become one call to users (notifications/accounts.py)."""

import eventlet
import pytest

from common.exceptions import ServiceUnavailable
from notifications.accounts import AccountBatcher


def accounts_of(calls, delay=0.05):
    def fetch(ids):
        calls.append(list(ids))
        eventlet.sleep(delay)
        return {user_id: {"id": user_id, "email": f"{user_id}@x.io"} for user_id in ids}

    return fetch


def test_fifty_workers_asking_at_once_make_one_call_and_each_gets_its_own_accounts():
    batcher, calls = AccountBatcher(max_ids=100), []
    fetch = accounts_of(calls)
    workers = [eventlet.spawn(batcher.get, [f"u{i}", f"u{i + 1}"], fetch) for i in range(50)]
    answers = [worker.wait() for worker in workers]
    assert len(calls) == 1 and sorted(calls[0]) == sorted({f"u{i}" for i in range(51)})
    assert answers[7] == {"u7": {"id": "u7", "email": "u7@x.io"}, "u8": {"id": "u8", "email": "u8@x.io"}}
    assert batcher.calls == 1


def test_calls_hold_at_most_max_ids_and_one_is_in_flight_at_a_time():
    batcher, calls = AccountBatcher(max_ids=10), []
    in_flight, most = [0], [0]

    def fetch(ids):
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        try:
            return accounts_of(calls)(ids)
        finally:
            in_flight[0] -= 1

    workers = [eventlet.spawn(batcher.get, [f"u{i}-{j}" for j in range(4)], fetch) for i in range(10)]
    answers = [worker.wait() for worker in workers]
    assert all(len(call) <= 10 for call in calls) and sum(len(call) for call in calls) == 40
    assert most[0] == 1
    assert all(len(answer) == 4 for answer in answers)


def test_a_failed_call_fails_every_lookup_it_held_and_the_next_ones_are_called_afresh():
    batcher = AccountBatcher()

    def timing_out(ids):
        eventlet.sleep(0.01)
        raise ServiceUnavailable("The users service did not answer in time")

    workers = [eventlet.spawn(batcher.get, [f"u{i}"], timing_out) for i in range(3)]
    for worker in workers:
        with pytest.raises(ServiceUnavailable):
            worker.wait()
    calls = []
    assert batcher.get(["u1"], accounts_of(calls)) == {"u1": {"id": "u1", "email": "u1@x.io"}}
    assert batcher.get([], accounts_of(calls)) == {} and len(calls) == 1
