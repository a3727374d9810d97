"""Swagger UI, served by the gateway from files installed with the project (no CDN, works offline).

The static files come from the pinned ``swagger-ui-py`` package; only the few the page needs are served,
each read once. The page's own start-up script is a file too, so the page's Content-Security-Policy can
forbid inline scripts.
"""

import importlib.util
import pathlib
from functools import cache

from werkzeug.wrappers import Response

from common.exceptions import NotFound

ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "application/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

START_SCRIPT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true
});
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Learning and development platform: API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/start.js"></script>
</body>
</html>
"""

# Swagger UI injects inline styles; scripts come only from the gateway itself.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _static_directory():
    # find_spec locates the package without importing it (its __init__ loads web-framework adapters).
    spec = importlib.util.find_spec("swagger_ui")
    return pathlib.Path(next(iter(spec.submodule_search_locations))) / "static"


@cache
def _asset_bytes(name):
    return (_static_directory() / name).read_bytes()


def page_response():
    return Response(PAGE, content_type="text/html; charset=utf-8", headers={"Content-Security-Policy": PAGE_POLICY})


def asset_response(name):
    """One of the page's files; anything else is a 404 (no path ever reaches the file system)."""
    if name == "start.js":
        body, content_type = START_SCRIPT.encode(), "application/javascript; charset=utf-8"
    elif name in ASSETS:
        body, content_type = _asset_bytes(name), ASSETS[name]
    else:
        raise NotFound(f"No documentation file {name}")
    # The files change only with the pinned package: clients may keep them for a day.
    return Response(body, content_type=content_type, headers={"Cache-Control": "public, max-age=86400"})
