import pytest

from common.exceptions import ServiceUnavailable
from gateway.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, ServiceGuard


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_opens_after_consecutive_timeouts_then_lets_one_trial_through():
    clock = Clock()
    breaker = CircuitBreaker(failures=3, window=30, cool_down=10, clock=clock)
    for _ in range(2):
        assert breaker.wait_seconds() == 0
        breaker.timed_out()
    assert breaker.state == CLOSED
    breaker.timed_out()
    assert breaker.state == OPEN and breaker.wait_seconds() == 10
    clock.now += 10
    assert breaker.wait_seconds() == 0 and breaker.state == HALF_OPEN  # the trial
    assert breaker.wait_seconds() > 0  # nobody else while it runs
    breaker.answered()
    assert breaker.state == CLOSED and breaker.wait_seconds() == 0


def test_a_failed_trial_opens_it_again():
    clock = Clock()
    breaker = CircuitBreaker(failures=1, window=30, cool_down=5, clock=clock)
    breaker.timed_out()
    clock.now += 5
    assert breaker.wait_seconds() == 0
    breaker.timed_out()
    assert breaker.state == OPEN and breaker.wait_seconds() == 5


def test_an_answer_or_a_quiet_window_resets_the_count():
    clock = Clock()
    breaker = CircuitBreaker(failures=2, window=30, cool_down=5, clock=clock)
    breaker.timed_out()
    breaker.answered()
    breaker.timed_out()
    assert breaker.state == CLOSED
    clock.now += 31
    breaker.timed_out()
    assert breaker.state == CLOSED
    breaker.timed_out()
    assert breaker.state == OPEN


class NoConsumers:
    def count(self, service, fresh=False):
        return 0


def test_the_guard_refuses_a_service_with_no_consumer_or_an_open_breaker():
    with pytest.raises(ServiceUnavailable) as raised:
        ServiceGuard(NoConsumers()).admit("coaching")
    assert raised.value.details == {"service": "coaching"}
    guard = ServiceGuard(None, failures=1, cool_down=7)
    guard.admit("users")
    guard.finished("users", timed_out=True)
    with pytest.raises(ServiceUnavailable) as raised:
        guard.admit("users")
    assert raised.value.details == {"service": "users", "retry_after": 7}
    guard.admit("auth")  # one breaker per service
