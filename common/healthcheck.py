"""A container's health check: ``python -m common.healthcheck <service>`` exits 0 when the service answers its
``health`` RPC within the timeout and reports ``ok``, 1 otherwise (docker-compose.yml runs it).
"""

import argparse
import sys

import eventlet

eventlet.monkey_patch()  # noqa: E402 -- before kombu opens a socket

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from common.config import load_config  # noqa: E402


def probe(service, timeout):
    """``(healthy, line)`` for one service, asked over the broker configured in config.yaml."""
    config = load_config()
    try:
        with eventlet.Timeout(timeout), ClusterRpcProxy(config, timeout=timeout) as rpc:
            answer = getattr(rpc, service).health()
    except (Exception, eventlet.Timeout) as exc:
        return False, f"{service}: no answer ({type(exc).__name__})"
    failed = sorted(name for name, check in answer.get("checks", {}).items() if check["status"] != "ok")
    line = f"{service}: {answer['status']}" + (f" ({', '.join(failed)} failing)" if failed else "")
    return answer["status"] == "ok", line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service")
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    healthy, line = probe(args.service, args.timeout)
    print(line, flush=True)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
