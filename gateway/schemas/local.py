"""HTTP-only schemas: the gateway's own routes (health, readiness, admin views, OpenID discovery) and what only
HTTP carries (an access token in the query, a user named in a body instead of the path). The services' schemas
are their contracts (``<service>/contracts.py``)."""

from marshmallow import Schema, fields, validate

from common.fields import UuidString

# -- what the gateway's routes accept --------------------------------------------


class SettingBody(Schema):
    value = fields.Raw(required=True, allow_none=False)


class NewSettingBody(SettingBody):
    key = fields.String(
        required=True, validate=validate.Length(min=3, max=150), metadata={"description": "<service>.<name>"}
    )


class TokenQuery(Schema):
    token = fields.String(
        validate=validate.Length(max=4096),
        metadata={"description": "the access token, for clients that send it in the query"},
    )


class AdminDeleteUserBody(Schema):
    """users' ``delete_user`` with the user named in the body (the path form is DELETE /users/<user_id>)."""

    user_id = UuidString(required=True)


# -- what they answer ------------------------------------------------------------


class HealthCheck(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "failed"]})
    latency_ms = fields.Float(required=True)
    reason = fields.String(metadata={"description": "why the check failed"})


class Health(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    service = fields.String(required=True)
    version = fields.String(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(HealthCheck), metadata={"description": "by store"})


class Readiness(Schema):
    status = fields.String(required=True, metadata={"enum": ["ready"]})
    services = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class ServiceHealth(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded", "unavailable"]})
    version = fields.String()
    latency_ms = fields.Float(required=True, allow_none=True)
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(HealthCheck))
    error = fields.String(metadata={"description": "the error code when the service did not answer"})


class HealthReport(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ServiceHealth), required=True)
    gateway = fields.Nested(Health, required=True)


class Dashboard(Schema):
    services = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(),
        required=True,
        metadata={"description": "each service's own counters, or {error} when it did not answer"},
    )


class Setting(Schema):
    key = fields.String(required=True, metadata={"description": "<service>.<name>"})
    value = fields.Raw(required=True)
    default = fields.Raw(required=True)
    type = fields.String(required=True, metadata={"description": "the Python type of the value: bool, int, float, str"})
    description = fields.String(required=True)


class SettingList(Schema):
    items = fields.List(fields.Nested(Setting), required=True)
    unavailable = fields.List(fields.String(), required=True, metadata={"description": "services that did not answer"})


class SettingChange(Schema):
    key = fields.String(required=True)
    value = fields.Raw(required=True)
    updated_at = fields.DateTime(required=True)


def Names():
    """What the server supports, by the names OpenID Connect Discovery gives them."""
    return fields.List(fields.String(), required=True)


class OpenIdConfiguration(Schema):
    token_endpoint_auth_methods_supported = Names()
    grant_types_supported = Names()
    response_types_supported = Names()
    subject_types_supported = Names()
    id_token_signing_alg_values_supported = Names()
    token_endpoint_auth_signing_alg_values_supported = Names()
    claims_supported = Names()
    issuer = fields.String(required=True, metadata={"description": "the tokens' iss"})
    jwks_uri = fields.String(required=True, metadata={"description": "the public keys of the access tokens"})
    token_endpoint = fields.String(required=True, metadata={"description": "where a password gets tokens"})
