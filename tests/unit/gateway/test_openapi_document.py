"""The API document as a client generator reads it: unique operation ids, one tag per service, typed path ids."""

import warnings

from gateway.openapi import PATH_ARG, build_spec
from gateway.routes import ROUTES

SPEC = build_spec(ROUTES)
OPERATIONS = [(path, method, operation) for path, item in SPEC["paths"].items() for method, operation in item.items()]
SERVICES = {"gateway", "auth", "users", "training", "coaching", "events", "notifications", "engagement"}


def test_every_operation_id_is_unique():
    ids = [operation["operationId"] for _, _, operation in OPERATIONS]
    assert len(ids) == len(set(ids)) == len(ROUTES)


def test_operations_are_grouped_by_the_service_that_answers_them():
    for route in ROUTES:
        operation = SPEC["paths"][PATH_ARG.sub(r"{\1}", route.path)][route.method.lower()]
        assert operation["tags"] == [route.service], route.path
    assert {tag for _, _, operation in OPERATIONS for tag in operation["tags"]} == SERVICES
    assert SPEC["paths"]["/admin/logs"]["get"]["tags"] == ["engagement"]  # admin routes with their service


def test_path_ids_are_typed():
    for path, _, operation in OPERATIONS:
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "path" or not parameter["name"].endswith("_id") or parameter["name"] == "video_id":
                continue
            schema = parameter["schema"]
            assert schema.get("format") == "uuid" or "pattern" in schema, (path, parameter)
    course = SPEC["paths"]["/training/courses/{course_id}"]["get"]["parameters"]
    assert course == [
        {"in": "path", "name": "course_id", "required": True, "schema": {"type": "string", "format": "uuid"}}
    ]


def test_no_two_schemas_share_a_name_in_the_document():
    """apispec renames a second schema of the same name (``PreferenceChanges1``): clients would get odd types."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        build_spec(ROUTES)
    assert not [w for w in caught if "Multiple schemas resolved" in str(w.message)]
