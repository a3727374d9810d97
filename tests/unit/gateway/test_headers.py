from werkzeug.wrappers import Response

from gateway.docs_ui import PAGE_POLICY, page_response
from gateway.headers import JSON_POLICY, SECURITY_HEADERS, secure


def test_every_answer_gets_the_headers_it_lacks_and_keeps_its_own():
    plain = secure(Response("{}", content_type="application/json"))
    assert {name: plain.headers[name] for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert plain.headers["Content-Security-Policy"] == JSON_POLICY
    pdf = secure(Response(b"%PDF", content_type="application/pdf"))
    assert pdf.headers["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" not in pdf.headers
    cacheable = secure(Response("{}", headers={"Cache-Control": "public, max-age=60"}))
    assert cacheable.headers["Cache-Control"] == "public, max-age=60"
    docs = secure(page_response())
    assert docs.headers["Content-Security-Policy"] == PAGE_POLICY
    assert "frame-ancestors 'none'" in PAGE_POLICY and "script-src 'self'" in PAGE_POLICY
    assert "https:" not in PAGE_POLICY
