"""Calls between services on the real broker: bounded in time, errors keep their type."""

import eventlet
import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from common.exceptions import Conflict, NotFound, ServiceUnavailable
from common.rpc import RpcProxy, rpc


class SlowPeer:
    name = "slow_peer"

    @rpc
    def wait(self, seconds):
        eventlet.sleep(seconds)
        return "done"

    @rpc
    def missing(self, thing_id):
        raise NotFound(f"No thing {thing_id}", {"thing_id": thing_id})


class Asker:
    name = "asker"

    peer = RpcProxy("slow_peer")
    nobody = RpcProxy("nobody_runs_this")

    @rpc
    def ask_peer(self, seconds):
        return self.peer.wait(seconds)

    @rpc
    def ask_for_missing(self, thing_id):
        return self.peer.missing(thing_id)

    @rpc
    def ask_nobody(self):
        return self.nobody.anything()


@pytest.fixture
def services(runner_factory, rabbit_config):
    config = {**rabbit_config, "SERVICE_RPC_TIMEOUT": 1}
    runner_factory(config, SlowPeer, Asker).start()
    with ServiceRpcProxy("asker", config, timeout=10) as asker:
        yield asker


def test_an_answer_in_time_comes_through(services):
    assert services.ask_peer(0) == "done"


def test_a_peer_slower_than_the_timeout_is_a_503_naming_it(services):
    with pytest.raises(ServiceUnavailable) as raised:
        services.ask_peer(3)
    assert "slow_peer" in str(raised.value)


def test_a_service_that_is_not_running_is_a_503_naming_it(services):
    with pytest.raises(ServiceUnavailable) as raised:
        services.ask_nobody()
    assert "nobody_runs_this" in str(raised.value)


def test_a_domain_error_crosses_two_hops_with_its_type(services):
    with pytest.raises(NotFound):
        services.ask_for_missing("t-1")


class Strict:
    name = "strict"

    @rpc
    def refuse(self):
        raise Conflict("Too many", {"limit": 3, "retry_after": 1.5, "open": False, "next": None, "ids": [1, 2]})


def test_error_details_keep_their_types_across_rpc(runner_factory, rabbit_config):
    runner_factory(rabbit_config, Strict).start()
    with ServiceRpcProxy("strict", rabbit_config, timeout=10) as strict, pytest.raises(Conflict) as raised:
        strict.refuse()
    assert raised.value.message == "Too many"
    assert raised.value.details == {"limit": 3, "retry_after": 1.5, "open": False, "next": None, "ids": [1, 2]}
