from nameko.rpc import RpcProxy as NamekoRpcProxy

from common.rpc import RpcProxy
from tests.conftest import all_service_classes


def test_every_service_calls_others_through_the_bounded_proxy():
    """The gateway bounds its own calls (gateway/calls.py); a service must never wait for a peer forever."""
    for service in all_service_classes():
        if service.name == "gateway":
            continue
        proxies = [value for value in vars(service).values() if isinstance(value, NamekoRpcProxy)]
        assert all(isinstance(proxy, RpcProxy) for proxy in proxies), service.name
