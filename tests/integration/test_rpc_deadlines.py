"""Deadlines and infrastructure faults on the real broker: late requests are dropped unstarted, deadlines
shrink along a chain of calls, and an unreachable database or broker is a 503 naming the service."""

import time

import pymongo.errors
import pytest
import sqlalchemy.exc
from kombu.exceptions import OperationalError as BrokerError
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from common.exceptions import ServiceUnavailable
from common.rpc import DEADLINE_KEY, DeadlinePassed, RpcProxy, rpc

DONE = []


class Recorder:
    name = "recorder"

    @rpc
    def record(self, thing):
        DONE.append(thing)
        return thing


class ContextData(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return worker_ctx.data


class Relay:
    name = "relay"

    peer = RpcProxy("peer_echo")

    @rpc
    def ask(self):
        return self.peer.deadline()


class PeerEcho:
    name = "peer_echo"

    context = ContextData()

    @rpc
    def deadline(self):
        return self.context.get(DEADLINE_KEY)


def test_a_request_whose_deadline_passed_is_dropped_unstarted(runner_factory, rabbit_config):
    DONE.clear()
    runner_factory(rabbit_config, Recorder).start()
    late = ClusterRpcProxy(rabbit_config, context_data={DEADLINE_KEY: time.time() - 1}, timeout=10)
    with late as caller, pytest.raises(DeadlinePassed) as raised:
        caller.recorder.record("late")
    assert isinstance(raised.value, ServiceUnavailable) and raised.value.details == {"service": "recorder"}
    in_time = ClusterRpcProxy(rabbit_config, context_data={DEADLINE_KEY: time.time() + 30}, timeout=10)
    with in_time as caller:
        assert caller.recorder.record("in time") == "in time"
    assert DONE == ["in time"]


def test_a_service_passes_on_its_callers_deadline_never_a_longer_one(runner_factory, rabbit_config):
    config = {**rabbit_config, "SERVICE_RPC_TIMEOUT": 8}
    runner_factory(config, Relay, PeerEcho).start()
    deadline = time.time() + 3
    with ClusterRpcProxy(config, context_data={DEADLINE_KEY: deadline}, timeout=10) as caller:
        assert caller.relay.ask() == pytest.approx(deadline)
    # With no deadline from its caller, a service gives its own call SERVICE_RPC_TIMEOUT.
    with ClusterRpcProxy(config, timeout=10) as caller:
        before = time.time()
        seen = caller.relay.ask()
    assert before + 7 < seen < time.time() + 8.5


FAULTS = {
    "postgres": sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("connection refused")),
    "interface": sqlalchemy.exc.InterfaceError("SELECT 1", {}, Exception("connection closed")),
    "mongo": pymongo.errors.ServerSelectionTimeoutError("127.0.0.1:1: connection refused"),
    "broker": BrokerError("connection refused"),
}


class Faulty:
    name = "faulty"

    @rpc
    def fail(self, kind):
        raise FAULTS[kind]

    @rpc
    def bug(self):
        return {}["missing"]


@pytest.mark.parametrize("kind", sorted(FAULTS))
def test_unreachable_infrastructure_is_a_503_naming_the_service(runner_factory, rabbit_config, kind):
    runner_factory(rabbit_config, Faulty).start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as caller, pytest.raises(ServiceUnavailable) as raised:
        caller.faulty.fail(kind)
    assert raised.value.details == {"service": "faulty"}
    assert ("broker" if kind == "broker" else "database") in raised.value.message


def test_a_bug_is_still_not_a_503(runner_factory, rabbit_config):
    runner_factory(rabbit_config, Faulty).start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as caller, pytest.raises(Exception) as raised:
        caller.faulty.bug()
    assert not isinstance(raised.value, ServiceUnavailable)
