from werkzeug.wrappers import Response

from gateway.headers import JSON_POLICY, SECURITY_HEADERS, secure
from gateway.openapi import PAGE_POLICIES, SWAGGER_UI_POLICY


def test_every_answer_gets_the_headers_it_lacks_and_keeps_its_own():
    plain = secure(Response("{}", content_type="application/json"))
    assert {name: plain.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert plain.headers["Content-Security-Policy"] == JSON_POLICY
    pdf = secure(Response(b"%PDF", content_type="application/pdf"))
    assert pdf.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in pdf.headers
    cacheable = secure(Response("{}", headers={"Cache-Control": "public, max-age=60"}))
    assert cacheable.headers["Cache-Control"] == "public, max-age=60"
    docs = secure(Response("<html>"), PAGE_POLICIES, "/docs")
    assert docs.headers["Content-Security-Policy"] == SWAGGER_UI_POLICY
    assert "frame-ancestors 'none'" in SWAGGER_UI_POLICY and "https://unpkg.com" in SWAGGER_UI_POLICY
