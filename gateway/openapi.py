"""The OpenAPI document, generated from the route table (apispec), and Swagger UI."""

import base64
import hashlib
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from common.service_base import VERSION
from gateway.routes import PUBLIC

PATH_ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")

ENVELOPE = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "data": {},
        "error": {
            "type": "object",
            "nullable": True,
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object"}},
        },
        "timestamp": {"type": "string", "format": "date-time"},
    },
}

ERRORS = {
    "400": "VALIDATION_ERROR",
    "401": "UNAUTHORIZED",
    "403": "FORBIDDEN",
    "404": "NOT_FOUND",
    "409": "CONFLICT",
    "413": "PAYLOAD_TOO_LARGE",
    "429": "RATE_LIMITED",
    "503": "SERVICE_UNAVAILABLE",
}


def build_spec(routes):
    spec = APISpec(
        title="Learning and development platform",
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Every JSON answer is the envelope {success, data, error, timestamp}."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Envelope", ENVELOPE)
    paths = {}
    for route in routes:
        path = PATH_ARG.sub(r"{\1}", route.path)
        operation = {
            "tags": [route.tag],
            "summary": route.summary,
            "operationId": f"{route.service}.{route.rpc}.{route.method.lower()}",
            "responses": {
                str(route.status): {
                    "description": "OK",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}},
                },
                **{
                    status: {
                        "description": code,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}},
                    }
                    for status, code in ERRORS.items()
                },
            },
        }
        parameters = [
            {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
            for name in PATH_ARG.findall(route.path)
        ]
        if route.query is not None:
            parameters.append({"in": "query", "schema": route.query})
        if parameters:
            operation["parameters"] = parameters
        if route.body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
        if route.access != PUBLIC:
            operation["security"] = [{"bearer": []}]
            if isinstance(route.access, frozenset):
                operation["description"] = "Roles: " + ", ".join(sorted(route.access))
        paths.setdefault(path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


# Swagger UI comes from this CDN for now; the page's policy allows it, its one inline script and nothing else.
SWAGGER_CDN = "https://unpkg.com"
SWAGGER_BOOT = 'window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});'

SWAGGER_UI = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>API docs</title>
  <link rel="stylesheet" href="{SWAGGER_CDN}/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{SWAGGER_CDN}/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
  <script>{SWAGGER_BOOT}</script>
</body>
</html>
"""

_BOOT_HASH = base64.b64encode(hashlib.sha256(SWAGGER_BOOT.encode()).digest()).decode()
SWAGGER_UI_POLICY = (
    f"default-src 'none'; script-src {SWAGGER_CDN} 'sha256-{_BOOT_HASH}'; style-src {SWAGGER_CDN} 'unsafe-inline'; "
    f"img-src 'self' data: {SWAGGER_CDN}; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
# Pages with a policy of their own, by path (every other answer gets the API's strict one).
PAGE_POLICIES = {"/docs": SWAGGER_UI_POLICY}
