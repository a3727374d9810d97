import pytest
import redis
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common.exceptions import Conflict, NotFound, ServiceUnavailable, ValidationError
from common.rpc import DeadlinePassed
from gateway.idempotency import IdempotentWrites, MemoryRecords


def request(method="POST", path="/coaching/sessions", key="key-1"):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return Request(EnvironBuilder(method=method, path=path, headers=headers).get_environ())


class Service:
    """Counts how often the work is done."""

    def __init__(self, answer=None, error=None):
        self.calls = 0
        self.answer = answer
        self.error = error

    def __call__(self, on_timeout):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.answer


class LateReply:
    def __init__(self, answer=None, error=None):
        self.answer, self.error = answer, error

    def result(self):
        if self.error is not None:
            raise self.error
        return self.answer


def gave_up(reply):
    def call(on_timeout):
        on_timeout(reply)
        raise ServiceUnavailable("The coaching service did not answer in time", {"service": "coaching"})

    return call


def writes():
    spawned = []
    writes = IdempotentWrites(MemoryRecords(), spawn=lambda fn, *args: spawned.append((fn, args)))
    return writes, spawned


def test_the_first_answer_is_replayed_never_redone():
    idem, _ = writes()
    service = Service({"id": "s-1"})
    headers = {}
    assert idem.call(request(), "u-1", {"a": 1}, headers, service) == {"id": "s-1"}
    assert headers == {}
    assert idem.call(request(), "u-1", {"a": 1}, headers, service) == {"id": "s-1"}
    assert headers == {"Idempotent-Replayed": "true"} and service.calls == 1
    # The key is the caller's own: another caller's same key is another request.
    assert idem.call(request(), "u-2", {"a": 1}, {}, service) == {"id": "s-1"} and service.calls == 2


def test_without_a_key_or_on_a_read_nothing_is_kept():
    idem, _ = writes()
    service = Service("ok")
    for _ in range(2):
        idem.call(request(key=None), "u-1", {}, {}, service)
        idem.call(request(method="GET"), "u-1", {}, {}, service)
    assert service.calls == 4


def test_a_4xx_is_kept_a_5xx_is_not():
    idem, _ = writes()
    refused = Service(error=NotFound("No coach"))
    for _ in range(2):
        with pytest.raises(NotFound):
            idem.call(request(key="a"), "u-1", {}, {}, refused)
    assert refused.calls == 1
    failing = Service(error=ServiceUnavailable("down", {"service": "coaching"}))
    for _ in range(2):
        with pytest.raises(ServiceUnavailable):
            idem.call(request(key="b"), "u-1", {}, {}, failing)
    assert failing.calls == 2


def test_the_same_key_for_another_request_is_a_conflict():
    idem, _ = writes()
    idem.call(request(), "u-1", {"a": 1}, {}, Service("ok"))
    with pytest.raises(Conflict) as raised:
        idem.call(request(), "u-1", {"a": 2}, {}, Service("ok"))
    assert raised.value.details["reason"] == "key_reused"
    with pytest.raises(Conflict):
        idem.call(request(path="/events/e-1/register"), "u-1", {"a": 1}, {}, Service("ok"))


def test_a_malformed_key_is_a_400():
    idem, _ = writes()
    with pytest.raises(ValidationError):
        idem.call(request(key="x" * 256), "u-1", {}, {}, Service("ok"))


def test_a_late_answer_after_the_gateway_gave_up_is_kept_and_replayed():
    idem, spawned = writes()
    with pytest.raises(ServiceUnavailable):
        idem.call(request(), "u-1", {}, {}, gave_up(LateReply({"id": "s-1"})), nobody_running=lambda: False)
    # Until the late answer is in, a retry is told the first is still running.
    with pytest.raises(Conflict) as raised:
        idem.call(request(), "u-1", {}, {}, Service("again"))
    assert raised.value.details["reason"] == "in_progress" and raised.value.details["retry_after"] == 1
    settle, args = spawned.pop()
    settle(*args)
    again = Service("again")
    assert idem.call(request(), "u-1", {}, {}, again) == {"id": "s-1"} and again.calls == 0


@pytest.mark.parametrize(
    "reply", [LateReply(error=DeadlinePassed("gone", {"service": "coaching"})), LateReply(error=RuntimeError("bug"))]
)
def test_a_request_dropped_unstarted_or_failed_releases_its_key(reply):
    idem, spawned = writes()
    with pytest.raises(ServiceUnavailable):
        idem.call(request(), "u-1", {}, {}, gave_up(reply), nobody_running=lambda: False)
    settle, args = spawned.pop()
    settle(*args)
    retry = Service("done")
    assert idem.call(request(), "u-1", {}, {}, retry) == "done" and retry.calls == 1


def test_no_running_instance_releases_the_key_at_once():
    idem, spawned = writes()
    with pytest.raises(ServiceUnavailable):
        idem.call(request(), "u-1", {}, {}, gave_up(LateReply("never")), nobody_running=lambda: True)
    assert spawned == []
    assert idem.call(request(), "u-1", {}, {}, Service("done")) == "done"


def test_memory_records_are_bounded_and_expire():
    now = [0.0]
    records = MemoryRecords(max_entries=2, clock=lambda: now[0])
    for key in "abc":
        records.put(key, {"k": key}, ttl=10)
    assert list(records.entries) == ["b", "c"]
    assert records.claim("b", {"k": "new"}, ttl=10) == {"k": "b"}
    now[0] = 11
    assert records.claim("b", {"k": "new"}, ttl=10) is None


class BrokenRecords:
    def claim(self, key, record, ttl):
        raise redis.ConnectionError("refused")


def test_a_key_that_cannot_be_checked_is_a_503_not_an_unprotected_write():
    idem = IdempotentWrites(BrokenRecords())
    service = Service("done")
    with pytest.raises(ServiceUnavailable) as raised:
        idem.call(request(), "u-1", {}, {}, service)
    assert raised.value.details == {"service": "gateway"} and service.calls == 0
    assert idem.call(request(key=None), "u-1", {}, {}, service) == "done"  # writes without a key go on
