"""What the gateway itself, auth and users answer: the ``data`` of their envelopes (documentation only)."""

from marshmallow import Schema, fields


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
    type = fields.String(required=True)
    description = fields.String(required=True)


class SettingList(Schema):
    items = fields.List(fields.Nested(Setting), required=True)
    unavailable = fields.List(fields.String(), required=True, metadata={"description": "services that did not answer"})


class SettingChange(Schema):
    key = fields.String(required=True)
    value = fields.Raw(required=True)
    updated_at = fields.DateTime(required=True)


class User(Schema):
    """A full profile: the user themself or an admin sees it."""

    id = fields.String(required=True)
    email = fields.String(required=True)
    username = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    provider = fields.String(required=True)
    provider_id = fields.String(required=True, allow_none=True)
    roles = fields.List(fields.String(), required=True)
    role = fields.String(required=True, allow_none=True, metadata={"description": "the strongest role"})
    status = fields.String(required=True, metadata={"enum": ["pending", "active", "disabled"]})
    bio = fields.String(required=True, allow_none=True)
    avatar_url = fields.String(required=True, allow_none=True)
    timezone = fields.String(required=True, allow_none=True)
    locale = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class Profile(User):
    followers = fields.Integer(required=True)
    following = fields.Integer(required=True)


class PublicUser(Schema):
    """What anyone signed in sees of someone else."""

    id = fields.String(required=True)
    username = fields.String(required=True, allow_none=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    bio = fields.String(required=True, allow_none=True)
    avatar_url = fields.String(required=True, allow_none=True)


class UserView(PublicUser):
    """Someone's profile: the full one (the fields after ``avatar_url``) for themself and admins only."""

    email = fields.String()
    provider = fields.String()
    provider_id = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    status = fields.String()
    timezone = fields.String(allow_none=True)
    locale = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class UserViewWithCounts(UserView):
    followers = fields.Integer(required=True)
    following = fields.Integer(required=True)


class Tokens(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"enum": ["bearer"]})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds"})
    refresh_token = fields.String(required=True)
    user = fields.Nested(User, required=True)


class PasswordChanged(Tokens):
    """Every older token is revoked, the caller's too: the answer carries the session's new pair."""

    message = fields.String(required=True)


class ExternalSignIn(Tokens):
    provider = fields.String(required=True, metadata={"enum": ["cognito", "google", "github"]})
    first_sign_in = fields.Boolean(required=True)


class SignInUrl(Schema):
    url = fields.String(required=True)
    state = fields.String(required=True)
    provider = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    login_url = fields.String(metadata={"description": "the same as url (Cognito sign-in)"})
    logout_url = fields.String(metadata={"description": "the same as url (Cognito sign-out)"})
    sign_out_url = fields.String()


class LinkedIdentity(Schema):
    provider = fields.String(required=True)
    subject = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    linked_at = fields.DateTime(required=True)


class SsoUserInfo(Schema):
    user = fields.Nested(User, required=True)
    identities = fields.List(fields.Nested(LinkedIdentity), required=True)


class TokenCheck(Schema):
    valid = fields.Boolean(required=True)
    user_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class LoggedOut(Schema):
    logged_out = fields.Boolean(required=True)


class Message(Schema):
    message = fields.String(required=True)


class Registration(Schema):
    """The same whether the address was free or taken: nothing in it tells which."""

    message = fields.String(required=True)


class ConfirmedRegistration(Schema):
    message = fields.String(required=True)
    user = fields.Nested(User, required=True)


class UserPreferences(Schema):
    language = fields.String(required=True)
    timezone = fields.String(required=True)
    theme = fields.String(required=True)
    profile_visibility = fields.String(required=True)
    show_on_leaderboard = fields.Boolean(required=True)
    weekly_goal_minutes = fields.Integer(required=True)


class UserDeleted(Schema):
    deleted = fields.Boolean(required=True)
    user_id = fields.String(required=True)


class UserRoles(Schema):
    user_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class Following(Schema):
    following = fields.Boolean(required=True)
    user_id = fields.String(required=True)


class Jwk(Schema):
    kty = fields.String(required=True)
    kid = fields.String(required=True)
    use = fields.String()
    alg = fields.String()
    key_ops = fields.List(fields.String())
    n = fields.String(metadata={"description": "RSA modulus (base64url)"})
    e = fields.String(metadata={"description": "RSA exponent (base64url)"})


class JwkSet(Schema):
    keys = fields.List(fields.Nested(Jwk), required=True)


class OpenIdConfiguration(Schema):
    issuer = fields.String(required=True)
    jwks_uri = fields.String(required=True)
    token_endpoint = fields.String(required=True)
    token_endpoint_auth_methods_supported = fields.List(fields.String(), required=True)
    grant_types_supported = fields.List(fields.String(), required=True)
    response_types_supported = fields.List(fields.String(), required=True)
    subject_types_supported = fields.List(fields.String(), required=True)
    id_token_signing_alg_values_supported = fields.List(fields.String(), required=True)
    token_endpoint_auth_signing_alg_values_supported = fields.List(fields.String(), required=True)
    claims_supported = fields.List(fields.String(), required=True)
