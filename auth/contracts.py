"""auth's contract: what its RPCs accept (validated by the gateway and the service alike) and answer."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from common.accounts import User
from common.contracts import Contract
from common.fields import UuidString

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 128  # the rest of the policy: auth/password_policy.py
NEW_PASSWORD = validate.Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)
GIVEN_PASSWORD = validate.Length(min=1, max=PASSWORD_MAX_LENGTH)
CODE = validate.Regexp(r"^\d{4,10}$", error="A numeric code")
REDIRECT_URI = validate.Length(min=1, max=2000)
OAUTH_PROVIDERS = ("google", "github")
SSO_PROVIDERS = ("cognito", *OAUTH_PROVIDERS)


# -- what the RPCs accept ------------------------------------------------------


class Identifier(Contract):
    """An email or a username: ``identifier``, or under the name ``email`` or ``username``."""

    identifier = fields.String(
        required=True, validate=validate.Length(min=1, max=320), metadata={"description": "email or username"}
    )

    @pre_load
    def fold_identifier(self, data, **kwargs):
        if not isinstance(data, dict):
            return data
        data = dict(data)
        given = [data.pop(key) for key in ("username", "email") if data.get(key) is not None]
        if "identifier" not in data and given:
            data["identifier"] = given[0]
        if "identifier" not in data:
            raise ValidationError("Give an email or a username", "identifier")
        return data


class LoginBody(Identifier):
    password = fields.String(required=True, validate=GIVEN_PASSWORD)


class PasswordReset(Identifier):
    code = fields.String(required=True, validate=CODE)
    new_password = fields.String(required=True, validate=NEW_PASSWORD)


class PasswordChange(Contract):
    current_password = fields.String(required=True, validate=GIVEN_PASSWORD)
    new_password = fields.String(required=True, validate=NEW_PASSWORD)


class PasswordSetting(Contract):
    user_id = UuidString(required=True)
    password = fields.String(required=True, validate=NEW_PASSWORD)


class RefreshToken(Contract):
    refresh_token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class SessionEnd(RefreshToken):
    """What a client sends to log out."""

    all_sessions = fields.Boolean(load_default=False)


class Logout(SessionEnd):
    """The gateway adds the id of the access token the caller presented, which is refused with the session."""

    access_token_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class NewIdentity(Contract):
    """Internal (users' registration): the credentials of a new account."""

    user_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    username = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=3, max=150))
    password = fields.String(load_default=None, allow_none=True, validate=NEW_PASSWORD)
    confirmed = fields.Boolean(load_default=False)


class SignInStart(Contract):
    redirect_uri = fields.String(
        load_default=None, validate=REDIRECT_URI, metadata={"description": "defaults to the configured one"}
    )


class OAuthStart(SignInStart):
    provider = fields.String(required=True, validate=validate.OneOf(OAUTH_PROVIDERS))


class ProviderAnswer(Contract):
    """What the provider sent the browser back with: a code and our state, or an error."""

    code = fields.String(load_default=None, validate=validate.Length(min=1, max=2000))
    state = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    error = fields.String(
        load_default=None, validate=validate.Length(min=1, max=100), metadata={"description": "the provider's error"}
    )
    error_description = fields.String(load_default=None, validate=validate.Length(max=500))


class SsoCallback(ProviderAnswer):
    """The hosted UI's redirect: the other parameters it adds (``scope``, ...) are ignored."""

    class Meta:
        unknown = EXCLUDE


class OAuthCode(ProviderAnswer):
    """A Google or GitHub authorization code the client got back, with the state the sign-in started with."""

    state = fields.String(required=True, validate=validate.Length(min=1, max=200))
    redirect_uri = fields.String(load_default=None, validate=REDIRECT_URI)


# -- what the RPCs answer -------------------------------------------------------


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
    provider = fields.String(required=True, metadata={"enum": list(SSO_PROVIDERS)})
    first_sign_in = fields.Boolean(required=True)


class SignInUrl(Schema):
    url = fields.String(required=True, metadata={"description": "where to send the browser"})
    state = fields.String(required=True, metadata={"description": "comes back with the provider's answer"})
    provider = fields.String(required=True, metadata={"enum": list(SSO_PROVIDERS)})
    expires_in = fields.Integer(required=True, metadata={"description": "seconds the state is good for"})
    login_url = fields.String(metadata={"description": "the same as url (Cognito sign-in)"})
    logout_url = fields.String(metadata={"description": "the same as url (Cognito sign-out)"})
    sign_out_url = fields.String()


class LinkedIdentity(Schema):
    provider = fields.String(required=True, metadata={"enum": list(SSO_PROVIDERS)})
    subject = fields.String(required=True, metadata={"description": "the provider's id of the user"})
    email = fields.String(required=True, allow_none=True)
    linked_at = fields.DateTime(required=True)


class SsoUserInfo(Schema):
    user = fields.Nested(User, required=True)
    identities = fields.List(fields.Nested(LinkedIdentity), required=True)


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


class TokenCheck(Schema):
    valid = fields.Boolean(required=True)
    user_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


class LoggedOut(Schema):
    logged_out = fields.Boolean(required=True)


class Message(Schema):
    message = fields.String(required=True)
