"""Reading the OpenAPI document's answer schemas and checking a real answer against them."""

from openapi_schema_validator import OAS30Validator, validate

from gateway.openapi import PATH_ARG


def inline_refs(node, spec):
    """``node`` with every ``#/components/...`` reference replaced by what it names (the schemas have no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return inline_refs(target, spec)
        return {key: inline_refs(value, spec) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_refs(item, spec) for item in node]
    return node


def success_response(spec, route):
    operation = spec["paths"][PATH_ARG.sub(r"{\1}", route.path)][route.method.lower()]
    return operation["responses"][str(route.status)]


def json_schema(spec, route):
    """The documented schema of ``route``'s 2xx JSON answer, references resolved."""
    return inline_refs(success_response(spec, route)["content"]["application/json"]["schema"], spec)


def check(instance, schema):
    """Raises ``jsonschema.ValidationError`` when ``instance`` does not fit ``schema`` (OpenAPI 3.0 dialect)."""
    validate(instance, schema, cls=OAS30Validator)
