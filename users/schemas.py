"""What users' RPCs take and give."""

import zoneinfo

from marshmallow import EXCLUDE, Schema, fields, validate, validates
from marshmallow import ValidationError as SchemaError

from common.clock import isoformat
from common.pagination import MAX_PAGE_SIZE, PageQuerySchema
from common.roles import ROLES, normalize_role
from users.models import STATUSES

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{3,150}$", error="3 to 150 letters, digits, '_', '.' or '-'")
PASSWORD = validate.Length(min=10, max=128)  # the rest of the policy: auth/password_policy.py
NAME = validate.Length(min=1, max=200)
ROLE_NAMES = (*ROLES, "student")


class TimezoneField(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value not in zoneinfo.available_timezones():
            raise SchemaError("Not a known IANA time zone")
        return value


class ProfileFieldsSchema(Schema):
    name = fields.String(validate=NAME)
    bio = fields.String(allow_none=True, validate=validate.Length(max=5000))
    avatar_url = fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    timezone = TimezoneField(allow_none=True)
    locale = fields.String(allow_none=True, validate=validate.Regexp(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"))


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, validate=PASSWORD)
    name = fields.String(load_default=None, validate=NAME)
    username = fields.String(load_default=None, allow_none=True, validate=USERNAME)
    role = fields.String(load_default="learner", validate=validate.OneOf(ROLE_NAMES))


class ConfirmRegistrationSchema(Schema):
    email = fields.Email(required=True)
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{4,10}$"))


class CreateUserSchema(ProfileFieldsSchema):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(load_default=None, allow_none=True, validate=PASSWORD)
    name = fields.String(required=True, validate=NAME)
    username = fields.String(load_default=None, allow_none=True, validate=USERNAME)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)), load_default=lambda: ["learner"])
    status = fields.String(load_default="active", validate=validate.OneOf(STATUSES))


class AdminUpdateSchema(ProfileFieldsSchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class RolesSchema(Schema):
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_NAMES)), required=True)

    @validates("roles")
    def _known(self, value, **kwargs):
        for role in value:
            normalize_role(role)


class UserListSchema(PageQuerySchema):
    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default=None, validate=validate.Length(max=200))
    role = fields.String(load_default=None, validate=validate.OneOf(ROLE_NAMES))
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class AccountIdsSchema(Schema):
    """Internal: the accounts another service needs to reach (notifications' fan-out), at most a page at a time."""

    user_ids = fields.List(
        fields.String(validate=validate.Length(max=64)), required=True, validate=validate.Length(max=MAX_PAGE_SIZE)
    )


class AccountPageSchema(Schema):
    """Internal: one page of accounts, oldest first, after the key ``after`` (the ``next_after`` of the last page)."""

    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=MAX_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ROLE_NAMES))
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))


class SearchSchema(PageQuerySchema):
    query = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ROLE_NAMES))


class PreferencesSchema(Schema):
    language = fields.String(validate=validate.Regexp(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$"))
    timezone = TimezoneField()
    theme = fields.String(validate=validate.OneOf(["light", "dark", "system"]))
    profile_visibility = fields.String(validate=validate.OneOf(["public", "followers", "private"]))
    show_on_leaderboard = fields.Boolean()
    weekly_goal_minutes = fields.Integer(validate=validate.Range(min=0, max=10_080))


DEFAULT_PREFERENCES = {
    "language": "en",
    "timezone": "UTC",
    "theme": "system",
    "profile_visibility": "public",
    "show_on_leaderboard": True,
    "weekly_goal_minutes": 120,
}


class ExternalProfileSchema(Schema):
    """Internal: who an identity provider (cognito, google, github) says signed in."""

    provider = fields.String(required=True, validate=validate.OneOf(["cognito", "google", "github"]))
    provider_id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    email = fields.Email(required=True)
    email_verified = fields.Boolean(required=True)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ExternalConfirmationSchema(Schema):
    """Internal: an identity provider verified the email of a pending account (auth's SSO sign-in)."""

    user_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    provider = fields.String(required=True, validate=validate.OneOf(["cognito", "google", "github"]))


class UserSchema(Schema):
    """The full profile: for the user, admins and internal callers."""

    id = fields.String()
    email = fields.String()
    username = fields.String()
    name = fields.String()
    provider = fields.String()
    provider_id = fields.String()
    roles = fields.List(fields.String())
    role = fields.Method("primary_role")
    status = fields.String()
    bio = fields.String()
    avatar_url = fields.String()
    timezone = fields.String()
    locale = fields.String()
    created_at = fields.Function(lambda user: isoformat(user.created_at))
    updated_at = fields.Function(lambda user: isoformat(user.updated_at))

    def primary_role(self, user):
        # Seed 001 has one role per user: report the strongest one.
        for role in reversed(ROLES):
            if role in user.roles:
                return role
        return None


class PublicUserSchema(Schema):
    """What anyone signed in may see of someone else."""

    id = fields.String()
    username = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    bio = fields.String()
    avatar_url = fields.String()


class AccountSchema(Schema):
    """What an internal caller needs to reach someone (notifications: the address and the name)."""

    id = fields.String()
    email = fields.String()
    name = fields.String()
    username = fields.String()
    status = fields.String()


full_profile = UserSchema().dump
public_profile = PublicUserSchema().dump
account_summary = AccountSchema().dump
