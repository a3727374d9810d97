"""GET /health says "starting" (503) while embedded mode seeds its accounts, and ok otherwise."""

import pytest

from common.exceptions import ServiceUnavailable
from gateway import readiness
from gateway.service import GatewayService


@pytest.fixture
def starting():
    readiness.mark_starting()
    try:
        yield
    finally:
        readiness.mark_ready()


def test_health_is_ok_when_nothing_said_otherwise():
    assert GatewayService().local_health(None, {})["status"] == "ok"


def test_health_is_503_starting_until_marked_ready(starting):
    with pytest.raises(ServiceUnavailable, match="The platform is starting"):
        GatewayService().local_health(None, {})
    readiness.mark_ready()
    assert GatewayService().local_health(None, {})["status"] == "ok"
