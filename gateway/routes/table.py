"""A row of the route table.

A row names the method and path, the service and RPC method it reaches, who
may call it, the schemas of its body, query string and answer, and its success
status. Path arguments, the query and the body's fields become the RPC's
keyword arguments. Rows whose service is ``gateway`` are answered by the
gateway itself (health, admin aggregation, the API docs).
"""

from dataclasses import dataclass

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ADMIN_ONLY = frozenset({"admin"})

SERVICES = ("auth", "users", "training", "coaching", "events", "notifications", "engagement")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    service: str
    rpc: str
    access: object = AUTHENTICATED
    body: type = None
    query: type = None
    status: int = 200
    summary: str = ""
    raw: bool = False  # answer with the data itself, not the envelope (JWKS, docs)
    token_in_query: bool = False  # some clients pass the access token as ?token=
    # The RPC returns a file, {"content_type", "filename" (optional), "body_base64"}, sent as is.
    file: bool = False
    # The query's ``format=csv`` (or ``Accept: text/csv``) makes the RPC answer a file, sent as ``file`` is.
    exports_csv: bool = False
    # The body is raw bytes, not JSON: the RPC gets ``body_base64`` and ``content_type``; up to this many bytes.
    upload_max_bytes: int = 0
    # A policy in GATEWAY.RATE_LIMITS counting this route's requests per client.
    rate_limit: str = ""
    # What the route answers: a marshmallow Schema class of the envelope's ``data`` (of the body itself for a
    # raw route); ``many``: a JSON list of it; ``paginated``: {"items": [it], "total", "page", "page_size"}.
    response: type = None
    many: bool = False
    paginated: bool = False
    # A page of gateway/templates/ rendering ``data`` for a client that prefers text/html (gateway/pages.py).
    html: str = ""

    @property
    def tag(self):
        return self.path.strip("/").split("/")[0] or "gateway"
