"""Every route documents what it answers: the envelope around its own typed ``data`` (or a raw route's own content),
and the document stays valid OpenAPI 3."""

import jsonschema
import pytest
from openapi_spec_validator import validate

from gateway.openapi import RAW_CONTENT, build_spec
from gateway.routes import ROUTES
from gateway.schemas.responses_examples import RESPONSE_EXAMPLES
from tests.support.openapi_schemas import check, json_schema, success_response

SPEC = build_spec(ROUTES)
JSON_ROUTES = [route for route in ROUTES if (route.service, route.rpc) not in RAW_CONTENT]


def by_path(method, path):
    return next(route for route in ROUTES if (route.method, route.path) == (method, path))


def test_every_route_that_answers_json_has_a_response_schema():
    missing = [f"{route.method} {route.path}" for route in JSON_ROUTES if route.response is None]
    assert missing == []


def test_only_raw_and_file_routes_send_something_else_than_json():
    for route in ROUTES:
        if (route.service, route.rpc) in RAW_CONTENT:
            assert route.raw or route.file, route


def test_the_document_is_valid_openapi():
    validate(SPEC)


@pytest.mark.parametrize("route", [route for route in JSON_ROUTES if not route.raw], ids=lambda route: route.path)
def test_an_enveloped_answer_documents_its_data(route):
    schema = json_schema(SPEC, route)
    assert schema["required"] == ["success", "data", "error", "timestamp"]
    data = schema["properties"]["data"]
    assert data.get("type") in ("object", "array"), data
    if route.paginated:
        assert set(data["properties"]) == {"items", "total", "page", "page_size"}
        assert data["properties"]["items"]["items"]["properties"]
    elif route.many:
        assert data["items"]["properties"]
    else:
        assert data["properties"]


def test_the_generic_envelope_is_only_used_for_errors():
    for route in JSON_ROUTES:
        assert success_response(SPEC, route)["content"]["application/json"]["schema"] != {
            "$ref": "#/components/schemas/Envelope"
        }
    operation = SPEC["paths"]["/training/courses"]["get"]
    assert operation["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Envelope"
    }


def test_a_paginated_answer_fits_its_schema_and_refuses_what_it_does_not_document():
    schema = json_schema(SPEC, by_path("GET", "/users"))
    page = {"items": [], "total": 0, "page": 1, "page_size": 20}
    check({"success": True, "data": page, "error": None, "timestamp": "2026-01-05T09:30:00.000Z"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        check(
            {"success": True, "data": {**page, "next": 2}, "error": None, "timestamp": "2026-01-05T09:30:00Z"}, schema
        )
    with pytest.raises(jsonschema.ValidationError):
        check({"success": True, "data": [], "error": None, "timestamp": "2026-01-05T09:30:00Z"}, schema)


def test_nullable_fields_accept_null_and_required_ones_must_be_there():
    schema = json_schema(SPEC, by_path("GET", "/users/profile"))["properties"]["data"]
    example = RESPONSE_EXAMPLES[("GET", "/users/profile")]
    check({**example, "bio": None}, schema)
    with pytest.raises(jsonschema.ValidationError):
        check({**example, "email": None}, schema)
    with pytest.raises(jsonschema.ValidationError):
        check({key: value for key, value in example.items() if key != "followers"}, schema)


@pytest.mark.parametrize("key", sorted(RESPONSE_EXAMPLES), ids=lambda key: " ".join(key))
def test_the_examples_fit_their_schemas(key):
    route = by_path(*key)
    media = success_response(SPEC, route)["content"]["application/json"]
    assert media["example"]["data"] == RESPONSE_EXAMPLES[key]
    check(media["example"], json_schema(SPEC, route))


def test_the_main_reads_have_examples():
    assert {("POST", "/auth/login"), ("GET", "/training/courses"), ("GET", "/training/courses/<course_id>")} | {
        ("GET", "/users/profile")
    } <= set(RESPONSE_EXAMPLES)


def test_raw_routes_keep_their_own_content_types():
    def content(method, path):
        return success_response(SPEC, by_path(method, path))["content"]

    assert set(content("GET", "/training/certificates/<certificate_id>/pdf")) == {"application/pdf"}
    assert set(content("GET", "/events/calendar/<token>.ics")) == {"text/calendar"}
    assert set(content("GET", "/events/<event_id>/calendar.ics")) == {"text/calendar"}
    assert set(content("GET", "/metrics")) == {"text/plain; version=0.0.4"}
    assert set(content("GET", "/docs")) == {"text/html"}
    media = content("GET", "/training/media/<media_id>/content")
    assert media == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    jwks = json_schema(SPEC, by_path("GET", "/auth/.well-known/jwks.json"))
    assert jwks["required"] == ["keys"] and "success" not in jwks["properties"]
    assert jwks["properties"]["keys"]["items"]["required"] == ["kid", "kty"]
