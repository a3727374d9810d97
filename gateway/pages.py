"""HTML pages some JSON routes also answer, for a browser.

A route with ``html=<page name>`` answers the envelope's JSON by default and
this page when the client prefers ``text/html`` (a browser's ``Accept``), so
one URL serves people and programs. The data is the same RPC answer; the
templates (``gateway/templates/``) are Jinja2 with autoescaping on, so a
holder's name such as ``<script>`` prints as text.
"""

from jinja2 import Environment, PackageLoader, select_autoescape
from werkzeug.wrappers import Response

TEMPLATES = Environment(
    loader=PackageLoader("gateway", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
# The pages load nothing and run nothing.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"


def wants_html(request):
    """Whether the client prefers HTML over JSON (no Accept, or ``*/*``, gets JSON)."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def render(page, data, status=200):
    body = TEMPLATES.get_template(f"{page}.html").render(data=data)
    return Response(
        body,
        status=status,
        content_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": PAGE_POLICY, "Vary": "Accept"},
    )
