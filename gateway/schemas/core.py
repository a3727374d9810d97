"""The HTTP contract of the gateway, auth and users: bodies and query strings.

These validate at the edge (a clear 400 before any RPC) and document the API
in /openapi.json; each service still validates what its RPCs receive.
Unknown fields are refused.
"""

from marshmallow import EXCLUDE, Schema, fields, validate

from common.pagination import PageQuerySchema

PASSWORD = validate.Length(min=10, max=128)  # the rest of the policy: auth/password_policy.py
CODE = validate.Regexp(r"^\d{4,10}$", error="A numeric code")
ROLE = validate.OneOf(["learner", "student", "instructor", "coach", "admin"])
STATUS = validate.OneOf(["pending", "active", "disabled"])
UUID_TEXT = validate.Regexp(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$", error="Not a valid UUID"
)
USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{3,150}$", error="3 to 150 letters, digits, '_', '.' or '-'")


def UuidString(**kwargs):
    """A UUID kept as text, so it crosses RPC as JSON."""
    return fields.String(validate=UUID_TEXT, **kwargs)


# -- auth ---------------------------------------------------------------------


class LoginBody(Schema):
    identifier = fields.String(validate=validate.Length(min=1, max=320), metadata={"description": "email or username"})
    username = fields.String(
        validate=validate.Length(min=1, max=320), metadata={"description": "another name for identifier"}
    )
    email = fields.String(validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class RefreshBody(Schema):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class LogoutBody(RefreshBody):
    all_sessions = fields.Boolean(load_default=False)


class ForgotPasswordBody(Schema):
    identifier = fields.String(validate=validate.Length(min=1, max=320))
    email = fields.String(validate=validate.Length(min=1, max=320))
    username = fields.String(validate=validate.Length(min=1, max=320))


class ConfirmForgotPasswordBody(ForgotPasswordBody):
    code = fields.String(required=True, validate=CODE)
    new_password = fields.String(required=True, validate=PASSWORD)


class ChangePasswordBody(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    new_password = fields.String(required=True, validate=PASSWORD)


class AdminSetPasswordBody(Schema):
    user_id = UuidString(required=True)
    password = fields.String(required=True, validate=PASSWORD)


class AdminDeleteUserBody(Schema):
    user_id = UuidString(required=True)


class TokenQuery(Schema):
    token = fields.String(
        validate=validate.Length(max=4096),
        metadata={"description": "the access token, for clients that send it in the query"},
    )


# -- users --------------------------------------------------------------------


class ProfileBody(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    bio = fields.String(allow_none=True, validate=validate.Length(max=5000))
    avatar_url = fields.Url(allow_none=True, schemes={"http", "https"})
    timezone = fields.String(allow_none=True, validate=validate.Length(max=64))
    locale = fields.String(allow_none=True, validate=validate.Length(max=16))


class RegisterBody(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=PASSWORD)
    name = fields.String(validate=validate.Length(min=1, max=200))
    username = fields.String(allow_none=True, validate=USERNAME)
    role = fields.String(validate=ROLE, metadata={"description": "self-registration creates learners only"})


class ConfirmRegistrationBody(Schema):
    email = fields.Email(required=True)
    code = fields.String(required=True, validate=CODE)


class ResendConfirmationBody(Schema):
    email = fields.Email(required=True)


class CreateUserBody(ProfileBody):
    email = fields.Email(required=True)
    password = fields.String(allow_none=True, validate=PASSWORD)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    username = fields.String(allow_none=True, validate=USERNAME)
    roles = fields.List(fields.String(validate=ROLE), validate=validate.Length(min=1, max=4))
    status = fields.String(validate=STATUS)


class AdminUpdateUserBody(ProfileBody):
    status = fields.String(validate=STATUS)


class RolesBody(Schema):
    roles = fields.List(fields.String(validate=ROLE), required=True, validate=validate.Length(min=1, max=4))


class UserListQuery(PageQuerySchema):
    q = fields.String(validate=validate.Length(max=200))
    role = fields.String(validate=ROLE)
    status = fields.String(validate=STATUS)


class SearchBody(PageQuerySchema):
    query = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(allow_none=True, validate=ROLE)


class PreferencesBody(Schema):
    language = fields.String(validate=validate.Length(min=2, max=16))
    timezone = fields.String(validate=validate.Length(max=64))
    theme = fields.String(validate=validate.OneOf(["light", "dark", "system"]))
    profile_visibility = fields.String(validate=validate.OneOf(["public", "followers", "private"]))
    show_on_leaderboard = fields.Boolean()
    weekly_goal_minutes = fields.Integer(validate=validate.Range(min=0, max=10_080))


class PageQuery(PageQuerySchema):
    pass


# -- admin --------------------------------------------------------------------


class SettingBody(Schema):
    value = fields.Raw(required=True, allow_none=False)


class LenientQuery(Schema):
    """For routes that take no query parameters: extra ones are ignored."""

    class Meta:
        unknown = EXCLUDE


# -- sso ----------------------------------------------------------------------

REDIRECT_URI = validate.Length(min=1, max=2000)


class SsoLoginQuery(Schema):
    redirect_uri = fields.String(validate=REDIRECT_URI, metadata={"description": "defaults to the configured one"})


class SsoCallbackQuery(Schema):
    """What the identity provider sends the browser back with (unknown fields, e.g. ``scope``, are ignored)."""

    class Meta:
        unknown = EXCLUDE

    code = fields.String(validate=validate.Length(min=1, max=2000))
    state = fields.String(validate=validate.Length(min=1, max=200))
    error = fields.String(validate=validate.Length(min=1, max=100))
    error_description = fields.String(validate=validate.Length(max=500))


class OAuthCodeBody(Schema):
    code = fields.String(validate=validate.Length(min=1, max=2000))
    state = fields.String(required=True, validate=validate.Length(min=1, max=200))
    redirect_uri = fields.String(validate=REDIRECT_URI)
    error = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "the provider's error"})
    error_description = fields.String(validate=validate.Length(max=500))
