"""Security headers on every answer of the gateway.

Every answer gets them, success or error, JSON or file, preflight included;
a header an answer already set is kept (a page with its own policy, an answer
that may be cached). ``Cache-Control: no-store`` is the default because most
answers carry tokens or personal data; none is marked cacheable today.
"""

# JSON needs no scripts, styles or framing: the strictest policy. Files get none, so that a browser's own
# viewer (PDF, image, video) still works when one is opened; nosniff and X-Frame-Options hold for them too.
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def secure(response):
    """``response`` with the security headers it lacks (a page sets its own Content-Security-Policy)."""
    headers = response.headers
    if response.mimetype == "application/json" and "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = JSON_POLICY
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
    return response
