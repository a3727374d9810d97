"""users' contract: what its RPCs accept (validated by the gateway and the service alike) and answer."""

from marshmallow import Schema, fields, validate, validates

from common.accounts import ACTIVE, DISABLED, PENDING, STATUSES, User
from common.contracts import Contract
from common.fields import check_zone
from common.pagination import MAX_PAGE_SIZE, PageQuerySchema
from common.roles import ROLES, normalize_role

__all__ = ["ACTIVE", "DISABLED", "PENDING", "STATUSES", "User"]  # the account's statuses and shape, for users

SSO_PROVIDERS = ("cognito", "google", "github")
ROLE_NAMES = (*ROLES, "student")
THEMES = ("light", "dark", "system")
VISIBILITIES = ("public", "followers", "private")

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{3,150}$", error="3 to 150 letters, digits, '_', '.' or '-'")
PASSWORD = validate.Length(min=10, max=128)  # the rest of the policy: auth/password_policy.py
NAME = validate.Length(min=1, max=200)
CODE = validate.Regexp(r"^\d{4,10}$", error="A numeric code")
LANGUAGE_TAG = validate.Regexp(r"^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$", error="A language tag such as en or pt-BR")
ZONE = [validate.Length(max=64), check_zone]
ROLE = validate.OneOf(ROLE_NAMES)
ROLE_LIST = validate.Length(min=1, max=len(ROLES))

DEFAULT_PREFERENCES = {
    "language": "en",
    "timezone": "UTC",
    "theme": "system",
    "profile_visibility": "public",
    "show_on_leaderboard": True,
    "weekly_goal_minutes": 120,
}


# -- what the RPCs accept ------------------------------------------------------


class Registration(Contract):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, validate=PASSWORD)
    name = fields.String(load_default=None, validate=NAME)
    username = fields.String(load_default=None, allow_none=True, validate=USERNAME)
    role = fields.String(
        load_default="learner", validate=ROLE, metadata={"description": "self-registration creates learners only"}
    )


class RegistrationCode(Contract):
    email = fields.Email(required=True)
    code = fields.String(required=True, validate=CODE)


class ConfirmationRequest(Contract):
    email = fields.Email(required=True)


class ProfileChanges(Contract):
    name = fields.String(validate=NAME)
    bio = fields.String(allow_none=True, validate=validate.Length(max=5000))
    avatar_url = fields.Url(allow_none=True, schemes={"http", "https"}, validate=validate.Length(max=2048))
    timezone = fields.String(allow_none=True, validate=ZONE, metadata={"description": "IANA zone"})
    locale = fields.String(allow_none=True, validate=LANGUAGE_TAG)


class NewUser(ProfileChanges):
    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(load_default=None, allow_none=True, validate=PASSWORD)
    name = fields.String(required=True, validate=NAME)
    username = fields.String(load_default=None, allow_none=True, validate=USERNAME)
    roles = fields.List(fields.String(validate=ROLE), load_default=lambda: ["learner"], validate=ROLE_LIST)
    status = fields.String(load_default=ACTIVE, validate=validate.OneOf(STATUSES))


class UserChanges(ProfileChanges):
    """What an admin may change of an account: its profile and its status."""

    status = fields.String(validate=validate.OneOf(STATUSES))


class RoleSetting(Contract):
    roles = fields.List(fields.String(validate=ROLE), required=True, validate=ROLE_LIST)

    @validates("roles")
    def _known(self, value, **kwargs):
        for role in value:
            normalize_role(role)


class UserSearch(Contract, PageQuerySchema):
    """Admin: every account, by text (name, username, email), role and status."""

    q = fields.String(load_default=None, validate=validate.Length(max=200))
    role = fields.String(load_default=None, validate=ROLE)
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))


class PeopleSearch(Contract, PageQuerySchema):
    """Any signed-in user: active accounts by name or username (and email, for admins)."""

    query = fields.String(load_default="", validate=validate.Length(max=200))
    role = fields.String(load_default=None, allow_none=True, validate=ROLE)


class FollowPage(Contract, PageQuerySchema):
    pass


class PreferenceChanges(Contract):
    language = fields.String(validate=LANGUAGE_TAG)
    timezone = fields.String(validate=ZONE)
    theme = fields.String(validate=validate.OneOf(THEMES))
    profile_visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    show_on_leaderboard = fields.Boolean()
    weekly_goal_minutes = fields.Integer(validate=validate.Range(min=0, max=10_080))


class AccountIds(Contract):
    """Internal: the accounts another service needs to reach (notifications' fan-out), at most a page at a time."""

    user_ids = fields.List(
        fields.String(validate=validate.Length(max=64)), required=True, validate=validate.Length(max=MAX_PAGE_SIZE)
    )


class AccountPage(Contract):
    """Internal: one page of accounts, oldest first, after the key ``after`` (the ``next_after`` of the last page)."""

    after = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    limit = fields.Integer(load_default=MAX_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))
    role = fields.String(load_default=None, allow_none=True, validate=ROLE)
    status = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATUSES))


class ExternalProfile(Contract):
    """Internal: who an identity provider (cognito, google, github) says signed in."""

    provider = fields.String(required=True, validate=validate.OneOf(SSO_PROVIDERS))
    provider_id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    email = fields.Email(required=True)
    email_verified = fields.Boolean(required=True)
    name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ExternalConfirmation(Contract):
    """Internal: an identity provider verified the email of a pending account (auth's SSO sign-in)."""

    user_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    provider = fields.String(required=True, validate=validate.OneOf(SSO_PROVIDERS))


# -- what the RPCs answer -------------------------------------------------------


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


class Notice(Schema):
    """A registration's answer, or a new code's: the same whether the address has an account or not."""

    message = fields.String(required=True)


class ConfirmedRegistration(Notice):
    user = fields.Nested(User, required=True)


class UserPreferences(Schema):
    language = fields.String(required=True)
    timezone = fields.String(required=True)
    theme = fields.String(required=True, metadata={"enum": list(THEMES)})
    profile_visibility = fields.String(required=True, metadata={"enum": list(VISIBILITIES)})
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
