"""The OpenAPI document, generated from the route table (apispec)."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from common.service_base import VERSION
from gateway.routes import PUBLIC

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
    operation_ids = _operation_ids(routes)
    for route in routes:
        path = PATH_ARG.sub(r"{\1}", route.path)
        operation = {
            "tags": [route.tag],
            "summary": route.summary,
            "operationId": operation_ids[route],
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
