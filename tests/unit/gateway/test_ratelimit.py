from types import SimpleNamespace

import pytest

from common.exceptions import RateLimited
from gateway.ratelimit import MemoryWindows, RateLimiter, parse_limit


def request(addr="10.0.0.1", headers=None):
    return SimpleNamespace(remote_addr=addr, headers=headers or {})


def test_parse_limit():
    assert parse_limit("30/60") == (30, 60)
    assert parse_limit("5") == (5, 60)
    assert parse_limit("0") is None and parse_limit(None) is None and parse_limit("off") is None


def test_each_client_gets_its_own_count():
    limiter = RateLimiter(MemoryWindows(), {"auth": (2, 60)})
    limiter.check("auth", request())
    limiter.check("auth", request())
    with pytest.raises(RateLimited) as raised:
        limiter.check("auth", request())
    assert 0 < raised.value.details["retry_after"] <= 60
    limiter.check("auth", request("10.0.0.2"))
    limiter.check("other-policy", request())  # no such limit: nothing counted


def test_forwarded_address_is_the_last_hop_only():
    limiter = RateLimiter(MemoryWindows(), {"auth": (1, 60)}, client_ip_header="X-Forwarded-For")
    limiter.check("auth", request(headers={"X-Forwarded-For": "1.1.1.1, 9.9.9.9"}))
    # A client cannot dodge the limit by inventing earlier hops.
    with pytest.raises(RateLimited):
        limiter.check("auth", request(headers={"X-Forwarded-For": "2.2.2.2, 9.9.9.9"}))
