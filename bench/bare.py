"""The ceiling: a Nameko HTTP endpoint that makes no RPC and touches no store.

Run by the benchmark as its own process (``nameko run --config config.yaml
bench.bare``) and driven by the same clients as the platform, it shows what
Nameko's HTTP server alone answers on this machine.
"""

from nameko.web.handlers import http

PONG = '{"success": true, "data": "pong", "error": null}'


class BareService:
    name = "bench_bare"

    @http("GET", "/ping")
    def ping(self, request):
        return 200, {"Content-Type": "application/json"}, PONG
