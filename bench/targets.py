"""What the benchmark measures: each target is a list of HTTP requests that wrk sends in turn (bench/wrk.py).

Every figure of a run is compared with the first target, a bare Nameko ``@http`` endpoint that makes no
RPC, measured in the same run with the same connections: the ratios hold on a busy machine where the
absolute figures do not. ``TARGETS`` in ``check`` are the issue's goals.
"""

from dataclasses import dataclass

from bench.wrk import Request

# The gateway runs as if behind a proxy (GATEWAY_CLIENT_IP_HEADER) and each benchmark user has its own
# address, so the per-client rate limit of the auth routes counts users, not the one benchmark machine.
CLIENT_ADDRESS_HEADER = "X-Forwarded-For"
NO_CACHE = {"Cache-Control": "no-cache"}  # the gateway asks the service (gateway/cache.py)
MIX = {"login": 10, "profile_read": 50, "search": 25, "profile_update": 15}


def client_address(index):
    """An address in 198.18.0.0/15, the range set aside for benchmarks (RFC 2544); only ever a header."""
    return f"198.{18 + index // 65536 % 2}.{index // 256 % 256}.{index % 256}"


@dataclass
class Account:
    email: str
    password: str
    address: str
    user_id: str = None
    token: str = None

    def headers(self, token=True):
        headers = {CLIENT_ADDRESS_HEADER: self.address}
        if token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers


@dataclass
class Target:
    name: str
    label: str  # as in the table
    server: str  # "bare" or "gateway"
    requests: list
    order: str = "cycle"


def targets(accounts, course_ids):
    course = f"/training/courses/{course_ids[0]}"
    anonymous = {CLIENT_ADDRESS_HEADER: client_address(65000)}
    mix = []
    for account in accounts:
        mix += [
            Request(
                "POST",
                "/auth/login",
                account.headers(False),
                {"identifier": account.email, "password": account.password},
            )
        ] * MIX["login"]
        mix += [Request("GET", "/users/profile", account.headers())] * MIX["profile_read"]
        mix += [Request("POST", "/users/search", account.headers(), {"query": "bench"})] * MIX["search"]
        mix += [Request("PUT", "/users/profile", account.headers(), {"bio": "Benchmarking"})] * MIX["profile_update"]
    return [
        Target("bare", "bare Nameko `@http`, no RPC", "bare", [Request("GET", "/ping")]),
        Target("gateway_health", "gateway `GET /health` (no RPC)", "gateway", [Request("GET", "/health", anonymous)]),
        Target("one_hop", "one hop, `GET /users/health`", "gateway", [Request("GET", "/users/health", anonymous)]),
        Target(
            "catalog",
            "`GET /training/courses` (catalog)",
            "gateway",
            [Request("GET", "/training/courses?page=1&page_size=20", anonymous)],
        ),
        Target(
            "course_anonymous", "`GET /training/courses/{id}` anonymous", "gateway", [Request("GET", course, anonymous)]
        ),
        Target(
            "course_token",
            "`GET /training/courses/{id}` with a token",
            "gateway",
            [Request("GET", course, account.headers()) for account in accounts],
        ),
        Target("event_list", "`GET /events` (event list)", "gateway", [Request("GET", "/events", anonymous)]),
        Target(
            "profile_read",
            "`GET /users/profile` with a token",
            "gateway",
            [Request("GET", "/users/profile", account.headers()) for account in accounts],
        ),
        Target(
            "profile_read_uncached",
            "`GET /users/profile`, `Cache-Control: no-cache`",
            "gateway",
            [
                Request("GET", "/users/profile", {**account.headers(), "Cache-Control": "no-cache"})
                for account in accounts
            ],
        ),
        Target(
            "enroll",
            "`POST /training/courses/{id}/enroll` (a write)",
            "gateway",
            [
                Request("POST", f"/training/courses/{course_id}/enroll", account.headers())
                for course_id in course_ids
                for account in accounts
            ],
        ),
        Target("login_mix", "login mix (login 10, profile 50, search 25, update 15)", "gateway", mix, order="random"),
    ]


# The table (one run on this kind of machine before the cache): requests/s.
BEFORE = {
    "bare": 1484,
    "gateway_health": 1082,
    "one_hop": 265,
    "catalog": 198,
    "course_anonymous": 209,
    "course_token": 207,
    "profile_read": 103,
}

# name -> (least share of bare, or of one hop for "enroll"; largest p99 in ms or None)
GOALS = {
    "catalog": (0.60, 50),
    "course_anonymous": (0.60, 50),
    "course_token": (0.60, 50),
    "event_list": (0.60, 50),
    "profile_read": (0.40, None),
    "enroll": (0.90, None),
}


def check(results):
    """``{name: {"goal", "met"}}`` for every target with a goal."""
    bare = results["bare"]["requests_per_second"]
    hop = results["one_hop"]["requests_per_second"]
    verdicts = {}
    for name, (share, p99) in GOALS.items():
        if name not in results:
            continue
        figures = results[name]
        base, base_name = (hop, "one hop") if name == "enroll" else (bare, "bare")
        ratio = figures["requests_per_second"] / base if base else 0
        met = ratio >= share and figures["errors"] == 0 and (p99 is None or figures["p99_ms"] <= p99)
        goal = f">= {share:.0%} of {base_name}" + (f", p99 <= {p99} ms" if p99 else "") + ", no errors"
        verdicts[name] = {"goal": goal, "ratio": round(ratio, 3), "met": met}
    return verdicts


def table(results, verdicts):
    """The run as a markdown table, next to the issue's figures."""
    bare = results["bare"]["requests_per_second"]
    rows = [
        "| target | requests/s | p50 ms | p99 ms | errors | share of bare | cache hits | before: req/s (share) "
        "| goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, figures in results.items():
        before = BEFORE.get(name)
        before_text = f"{before:,} ({before / BEFORE['bare']:.0%})" if before else ""
        hits = figures.get("x_cache", {}).get("hit", 0)
        hit_text = f"{hits / figures['requests']:.0%}" if figures["requests"] and figures["server"] == "gateway" else ""
        verdict = verdicts.get(name)
        goal_text = f"{'met' if verdict['met'] else 'NOT met'} ({verdict['goal']})" if verdict else ""
        rows.append(
            f"| {figures['label']} | {figures['requests_per_second']:,.0f} | {figures['p50_ms']} | {figures['p99_ms']} "
            f"| {figures['errors']} | {figures['requests_per_second'] / bare:.0%} | {hit_text} | {before_text} "
            f"| {goal_text} |"
        )
    return "\n".join(rows)
