"""What auth's RPCs take and give."""

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from auth.password_policy import MAX_LENGTH, MIN_LENGTH

PASSWORD = validate.Length(min=MIN_LENGTH, max=MAX_LENGTH)


class IdentifierSchema(Schema):
    """An email or a username, under any of the names the seeds use for it."""

    identifier = fields.String(required=True, validate=validate.Length(min=1, max=320))

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


class LoginSchema(IdentifierSchema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=128))


class NewIdentitySchema(Schema):
    user_id = fields.UUID(required=True)
    email = fields.Email(required=True)
    username = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=3, max=150))
    password = fields.String(load_default=None, allow_none=True, validate=PASSWORD)
    confirmed = fields.Boolean(load_default=False)


class PasswordResetSchema(IdentifierSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{4,10}$"))
    new_password = fields.String(required=True, validate=PASSWORD)


class ChangePasswordSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=128))
    new_password = fields.String(required=True, validate=PASSWORD)


class SetPasswordSchema(Schema):
    user_id = fields.UUID(required=True)
    password = fields.String(required=True, validate=PASSWORD)


def token_pair(access_token, expires_in, refresh_token, user):
    return {
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "user": user,
    }


class SsoCallbackSchema(Schema):
    """What the provider sent the browser back with: a code and our state, or an error."""

    code = fields.String(load_default=None, validate=validate.Length(min=1, max=2000))
    state = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    error = fields.String(load_default=None, validate=validate.Length(min=1, max=100))
    error_description = fields.String(load_default=None, validate=validate.Length(max=500))


class OAuthCodeSchema(SsoCallbackSchema):
    redirect_uri = fields.String(load_default=None, validate=validate.Length(min=1, max=2000))


class OAuthStartSchema(Schema):
    provider = fields.String(required=True, validate=validate.OneOf(["google", "github"]))
    redirect_uri = fields.String(load_default=None, validate=validate.Length(min=1, max=2000))
