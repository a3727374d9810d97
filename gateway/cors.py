"""CORS for the configured origins."""

ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-ID, Idempotency-Key"
EXPOSED_HEADERS = "X-Request-ID, Idempotent-Replayed, Retry-After"


class CorsPolicy:
    def __init__(self, origins, max_age=600):
        self.origins = set(origins or [])
        self.any_origin = "*" in self.origins
        self.max_age = max_age

    def allows(self, origin):
        return bool(origin) and (self.any_origin or origin in self.origins)

    def headers_for(self, origin):
        if not self.allows(origin):
            return {}
        return {
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Expose-Headers": EXPOSED_HEADERS,
            "Vary": "Origin",
        }

    def preflight_headers(self, origin, methods):
        headers = self.headers_for(origin)
        if headers:
            headers.update(
                {
                    "Access-Control-Allow-Methods": ", ".join(methods),
                    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": str(self.max_age),
                }
            )
        return headers
