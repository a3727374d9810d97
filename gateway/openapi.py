"""The OpenAPI document, generated from the route table (apispec)."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from common.service_base import VERSION
from gateway.routes import PUBLIC
from gateway.schemas.responses_examples import RESPONSE_EXAMPLES

PATH_ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
PATH_WORD = re.compile(r"[A-Za-z0-9_]+")

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

ERROR = ENVELOPE["properties"]["error"]

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


UUID = {"type": "string", "format": "uuid"}

# Path arguments by name: every id the services make is a UUID, but for notifications (32 hex digits).
PATH_PARAMETERS = {
    **{
        name: UUID
        for name in (
            "user_id",
            "coach_id",
            "course_id",
            "module_id",
            "lesson_id",
            "assessment_id",
            "certificate_id",
            "media_id",
            "event_id",
            "session_id",
        )
    },
    "notification_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    "date": {"type": "string", "format": "date"},
    "video_id": {"type": "string", "description": "a YouTube video id", "maxLength": 64},
    "key": {"type": "string", "description": "<service>.<setting>, e.g. training.attendance_minutes"},
}

TEXT = {"type": "string"}
BINARY = {"type": "string", "format": "binary"}

# What the routes that answer with something else than JSON send, by (service, rpc): media type -> schema.
RAW_CONTENT = {
    ("gateway", "metrics"): {"text/plain; version=0.0.4": TEXT},
    ("gateway", "openapi"): {"application/json": {"type": "object", "description": "This document"}},
    ("gateway", "docs"): {"text/html": TEXT},
    ("gateway", "docs_asset"): {"text/css": TEXT, "application/javascript": TEXT},
    ("training", "certificate_pdf"): {"application/pdf": BINARY},
    ("training", "get_media_content"): {"application/octet-stream": BINARY},
    ("events", "calendar_feed"): {"text/calendar": TEXT},
    ("events", "event_calendar"): {"text/calendar": TEXT},
}

# Bodies Swagger UI fills in for "Try it out": they work against the demo data of `make run`.
REQUEST_EXAMPLES = {
    ("POST", "/auth/login"): {"identifier": "learner@example.com", "password": "learner-demo-1"},
    ("POST", "/users/register"): {
        "email": "new.learner@example.com",
        "username": "newlearner",
        "name": "New Learner",
        "password": "a-long-passphrase-42",
    },
    ("POST", "/auth/signup"): {
        "email": "new.learner@example.com",
        "username": "newlearner",
        "name": "New Learner",
        "password": "a-long-passphrase-42",
    },
}


def build_spec(routes):
    marshmallow = MarshmallowPlugin()
    spec = APISpec(
        title="Learning and development platform",
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[marshmallow],
        info={"description": "Every JSON answer is the envelope {success, data, error, timestamp}."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Envelope", ENVELOPE)
    paths = {}
    operation_ids = _operation_ids(routes)
    for route in routes:
        path = PATH_ARG.sub(r"{\1}", route.path)
        operation = {
            "tags": [route.service],  # one group per service (admin routes under the service that answers them)
            "summary": route.summary,
            "operationId": operation_ids[route],
            "responses": {
                str(route.status): _success(spec, marshmallow.converter, route),
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
            {"in": "path", "name": name, "required": True, "schema": PATH_PARAMETERS.get(name, {"type": "string"})}
            for name in PATH_ARG.findall(route.path)
        ]
        if route.query is not None:
            parameters.append({"in": "query", "schema": route.query})
        if parameters:
            operation["parameters"] = parameters
        if route.body is not None:
            media = {"schema": route.body}
            if (route.method, route.path) in REQUEST_EXAMPLES:
                media["example"] = REQUEST_EXAMPLES[(route.method, route.path)]
            operation["requestBody"] = {"required": True, "content": {"application/json": media}}
        if route.access != PUBLIC:
            operation["security"] = [{"bearer": []}]
            if isinstance(route.access, frozenset):
                operation["description"] = "Roles: " + ", ".join(sorted(route.access))
        paths.setdefault(path, {})[route.method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _success(spec, converter, route):
    """The 2xx answer: the envelope around the route's own ``data`` schema, or a raw route's own content."""
    if (route.service, route.rpc) in RAW_CONTENT:
        content = {media: {"schema": schema} for media, schema in RAW_CONTENT[(route.service, route.rpc)].items()}
        return {"description": "OK", "content": content}
    if route.response is None:
        return {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}},
        }
    ref = converter.resolve_nested_schema(route.response)
    name = ref["$ref"].rsplit("/", 1)[-1]
    if route.raw:
        return {"description": "OK", "content": {"application/json": {"schema": ref}}}
    data, envelope_name = ref, f"{name}Envelope"
    if route.many:
        data, envelope_name = {"type": "array", "items": ref}, f"{name}ListEnvelope"
    elif route.paginated:
        page_name = f"Paginated{name}"
        if page_name not in spec.components.schemas:
            spec.components.schema(
                page_name,
                {
                    "type": "object",
                    "required": ["items", "total", "page", "page_size"],
                    "additionalProperties": False,
                    "properties": {
                        "items": {"type": "array", "items": ref},
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "page_size": {"type": "integer"},
                    },
                },
            )
        data, envelope_name = {"$ref": f"#/components/schemas/{page_name}"}, f"{page_name}Envelope"
    if envelope_name not in spec.components.schemas:
        spec.components.schema(
            envelope_name,
            {
                "type": "object",
                "required": ["success", "data", "error", "timestamp"],
                "additionalProperties": False,
                "properties": {
                    "success": {"type": "boolean"},
                    "data": data,
                    "error": ERROR,
                    "timestamp": {"type": "string", "format": "date-time"},
                },
            },
        )
    media = {"schema": {"$ref": f"#/components/schemas/{envelope_name}"}}
    if (route.method, route.path) in RESPONSE_EXAMPLES:
        media["example"] = {
            "success": True,
            "data": RESPONSE_EXAMPLES[(route.method, route.path)],
            "error": None,
            "timestamp": "2026-01-05T09:30:00.000Z",
        }
    content = {"application/json": media}
    if route.html:
        # The same data as a page, for a client whose Accept prefers text/html (gateway/pages.py).
        content["text/html"] = {"schema": {"type": "string", "description": "An HTML page of the same data"}}
    return {"description": "OK", "content": content}


def _operation_ids(routes):
    """``service_rpc`` for each route; a route that is an alias of another (the same RPC on a second path)
    gets its path in its id too, because clients generated from the document need every id unique."""
    counts = {}
    for route in routes:
        counts[(route.service, route.rpc)] = counts.get((route.service, route.rpc), 0) + 1
    ids = {}
    for route in routes:
        base = f"{route.service}_{route.rpc}"
        if counts[(route.service, route.rpc)] > 1:
            base += "_" + "_".join(PATH_WORD.findall(PATH_ARG.sub(r"by_\1", route.path)))
        ids[route] = base
    return ids
