"""AWS Cognito's hosted UI: authorization URL with state and PKCE, the code exchange, and the ID token check.

The ID token is checked against the pool's JWKS (signature, ``iss``, ``aud`` = our client id, ``exp``,
``token_use`` = id). The JWKS is fetched with requests (so it also works against stand-ins and moto),
cached per process, and fetched again when a token names a ``kid`` the cache does not know.
"""

import base64
import contextlib
import hashlib
import hmac
import secrets
import threading
from urllib.parse import urlencode

import boto3
import jwt
import requests
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from auth.models import Credential, LinkedIdentity
from auth.providers.base import IdentityProvider
from auth.providers.credentials import StoredCredentials, normalize_identifier
from auth.providers.oauth import HTTP_TIMEOUT_SECONDS, ExternalIdentity, OAuthClient
from common.clock import utcnow
from common.exceptions import (
    Conflict,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    ValidationError,
)
from common.jwks import JwksCache

INVALID_ID_TOKEN = "The identity provider's ID token is not valid"


_caches = {}
_caches_lock = threading.Lock()


def _fetch_jwks(url):
    try:
        response = requests.get(url, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as error:
        raise ServiceUnavailable("The identity provider's signing keys could not be read") from error


def jwks_cache(url, min_refetch_seconds):
    """One cache of the keys at a JWKS URL in this process (shared by workers)."""
    with _caches_lock:
        cache = _caches.get(url)
        if cache is None or cache.min_refetch_seconds != min_refetch_seconds:
            cache = _caches[url] = JwksCache(lambda: _fetch_jwks(url), min_refetch_seconds)
        return cache


class CognitoHostedUI(OAuthClient):
    name = "cognito"
    default_scopes = ("openid", "email", "profile")

    def __init__(self, settings):
        settings = dict(settings or {})
        region = settings.get("REGION") or "us-east-1"
        pool_id = settings.get("USER_POOL_ID") or ""
        self.domain_url = (settings.get("DOMAIN_URL") or "").rstrip("/")
        settings["AUTHORIZE_URL"] = settings.get("AUTHORIZE_URL") or (
            self.domain_url and f"{self.domain_url}/oauth2/authorize"
        )
        settings["TOKEN_URL"] = settings.get("TOKEN_URL") or (self.domain_url and f"{self.domain_url}/oauth2/token")
        super().__init__(settings)
        self.issuer = settings.get("ISSUER") or f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"
        self.jwks_url = settings.get("JWKS_URL") or f"{self.issuer}/.well-known/jwks.json"
        self.logout_redirect_uri = settings.get("LOGOUT_REDIRECT_URI") or ""
        refetch = settings.get("JWKS_MIN_REFETCH_SECONDS")
        self.jwks_min_refetch_seconds = 30 if refetch in (None, "") else int(refetch)
        self.leeway_seconds = int(settings.get("CLOCK_LEEWAY_SECONDS") or 0)

    def logout_url(self, state, redirect_uri):
        """The hosted UI's /logout in its sign-in-again form: it ends the Cognito session and sends the browser
        to /login with ``client_id``, ``redirect_uri``, ``response_type``, ``scope`` and ``state``, the
        parameters Cognito documents for it. It documents no ``code_challenge``, so this sign-in has none."""
        self.ensure_configured()
        query = {
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": " ".join(self.scopes),
            "state": state,
        }
        return f"{self.domain_url}/logout?{urlencode(query)}"

    def sign_out_url(self):
        """The /logout form that only signs out and lands on ``LOGOUT_REDIRECT_URI`` (an allowed sign-out URL)."""
        if not self.logout_redirect_uri:
            return None
        self.ensure_configured()
        query = {"client_id": self.client_id, "logout_uri": self.logout_redirect_uri}
        return f"{self.domain_url}/logout?{urlencode(query)}"

    def verify_id_token(self, id_token):
        """The ID token's claims, once its signature, issuer, audience, expiry and use check out; else 401."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as error:
            raise Unauthorized(INVALID_ID_TOKEN) from error
        key = jwks_cache(self.jwks_url, self.jwks_min_refetch_seconds).key(header.get("kid"))
        if key is None:
            raise Unauthorized(INVALID_ID_TOKEN)
        try:
            claims = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=self.issuer,
                leeway=self.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise Unauthorized("The identity provider's ID token has expired") from error
        except jwt.PyJWTError as error:
            raise Unauthorized(INVALID_ID_TOKEN) from error
        if claims.get("token_use") != "id":
            raise Unauthorized(INVALID_ID_TOKEN)
        return claims

    def identity(self, token):
        id_token = token.get("id_token")
        if not id_token:
            raise Unauthorized("The identity provider returned no ID token")
        claims = self.verify_id_token(id_token)
        if not claims.get("email"):
            raise Unauthorized("The identity provider did not share the email")
        return ExternalIdentity(
            provider=self.name,
            subject=str(claims["sub"]),
            email=str(claims["email"]).strip().lower(),
            email_verified=claims.get("email_verified") in (True, "true"),
            name=claims.get("name") or claims.get("cognito:username"),
        )


# -- the user pool behind auth.provider: cognito (boto3 cognito-idp) ------------------------------------

_clients = {}
_clients_lock = threading.Lock()


def cognito_idp_client(region, endpoint_url=None):
    """One boto3 client per region and endpoint in this process (boto3 clients are thread safe)."""
    key = (region, endpoint_url or None)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = boto3.client("cognito-idp", region_name=region, endpoint_url=endpoint_url or None)
        return _clients[key]


def secret_hash(client_id, client_secret, username):
    """Cognito's SECRET_HASH: Base64(HMAC-SHA256(client secret, username + client id))."""
    digest = hmac.new(client_secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def unusable_password():
    """A password nobody knows that meets any pool policy (upper and lower case, digits, symbols)."""
    return f"{secrets.token_urlsafe(48)}aA1!"


class CognitoUserPoolProvider(StoredCredentials, IdentityProvider):
    """Passwords, registration codes and resets live in the Cognito user pool (its username is the email).

    auth keeps a credential row (email, username, no password hash) so identifiers map to our user ids
    and refresh tokens have their owner, and links the pool's ``sub`` so the hosted UI finds the same user.
    Cognito emails its own codes, so the methods that return codes return ``None``.
    """

    name = "cognito"

    def __init__(self, session, settings):
        settings = settings or {}
        self.session = session
        self.region = settings.get("REGION") or "us-east-1"
        self.pool_id = settings.get("USER_POOL_ID") or ""
        self.client_id = settings.get("CLIENT_ID") or ""
        self.client_secret = settings.get("CLIENT_SECRET") or ""
        self.idp = cognito_idp_client(self.region, settings.get("ENDPOINT_URL"))

    # -- helpers --------------------------------------------------------------

    def _call(self, operation, **params):
        try:
            return getattr(self.idp, operation)(**params)
        except (ClientError, BotoCoreError) as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            raise PoolError(code, str(error)) from error

    def _client_params(self, username):
        params = {"ClientId": self.client_id}
        if self.client_secret:
            params["SecretHash"] = secret_hash(self.client_id, self.client_secret, username)
        return params

    def _link_sub(self, user_id, sub, email):
        if sub:
            self.session.add(LinkedIdentity(provider=self.name, subject=sub, user_id=user_id, email=email))

    # -- the interface (find_user_id comes with StoredCredentials) ----------------

    def authenticate(self, identifier, password):
        credential = self._credential_for(identifier)
        if credential is None:
            return None
        auth_parameters = {"USERNAME": credential.email, "PASSWORD": password}
        if self.client_secret:
            auth_parameters["SECRET_HASH"] = secret_hash(self.client_id, self.client_secret, credential.email)
        try:
            self._call(
                "initiate_auth", AuthFlow="USER_PASSWORD_AUTH", ClientId=self.client_id, AuthParameters=auth_parameters
            )
        except PoolError as error:
            if error.code == "UserNotConfirmedException":
                return credential.user_id  # the profile is still pending: the service answers 403
            if error.code in ("NotAuthorizedException", "UserNotFoundException", "PasswordResetRequiredException"):
                return None
            raise error.domain_error() from None
        return credential.user_id

    def create_identity(self, user_id, email, username, password, confirmed):
        email = normalize_identifier(email)
        self.session.add(
            Credential(
                user_id=user_id,
                email=email,
                username=None if username is None else normalize_identifier(username),
                provider=self.name,
                password_changed_at=utcnow(),
            )
        )
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            raise Conflict("An account with this email or username already exists") from None
        try:
            if confirmed:
                created = self._call(
                    "admin_create_user",
                    UserPoolId=self.pool_id,
                    Username=email,
                    UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
                    MessageAction="SUPPRESS",
                )
                sub = next((a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub"), None)
                if password is not None:
                    self._call(
                        "admin_set_user_password",
                        UserPoolId=self.pool_id,
                        Username=email,
                        Password=password,
                        Permanent=True,
                    )
            else:
                signed_up = self._call(
                    "sign_up",
                    Username=email,
                    Password=password,
                    UserAttributes=[{"Name": "email", "Value": email}],
                    **self._client_params(email),
                )
                sub = signed_up.get("UserSub")
        except PoolError as error:
            self.session.rollback()
            raise error.domain_error() from None
        self._link_sub(user_id, sub, email)
        return None

    def confirm_identity(self, user_id, code):
        email = self._credential(user_id).email
        try:
            self._call("confirm_sign_up", Username=email, ConfirmationCode=str(code), **self._client_params(email))
        except PoolError as error:
            raise error.domain_error() from None

    def new_confirmation_code(self, user_id):
        email = self._credential(user_id).email
        try:
            self._call("resend_confirmation_code", Username=email, **self._client_params(email))
        except PoolError as error:
            raise error.domain_error() from None
        return None

    def start_password_reset(self, identifier):
        credential = self._credential_for(identifier)
        if credential is not None:
            # The answer is the same whether or not an account matches.
            with contextlib.suppress(PoolError):
                self._call("forgot_password", Username=credential.email, **self._client_params(credential.email))
        return None

    def confirm_password_reset(self, identifier, code, new_password, vet=None):
        credential = self._credential_for(identifier)
        if credential is None:
            raise ValidationError("The code is not valid or has expired", {"code": ["invalid or expired"]})
        if vet is not None:  # the pool checks the code and sets the password in one call: vet before it
            vet(credential.email, credential.username)
        try:
            self._call(
                "confirm_forgot_password",
                Username=credential.email,
                ConfirmationCode=str(code),
                Password=new_password,
                **self._client_params(credential.email),
            )
        except PoolError as error:
            raise error.domain_error() from None
        credential.password_changed_at = utcnow()
        return credential.user_id

    def change_password(self, user_id, current_password, new_password):
        credential = self._credential(user_id)
        if self.authenticate(credential.email, current_password) != credential.user_id:
            raise Unauthorized("The current password is wrong")
        self.set_password(user_id, new_password)

    def set_password(self, user_id, password):
        credential = self._credential(user_id)
        try:
            self._call(
                "admin_set_user_password",
                UserPoolId=self.pool_id,
                Username=credential.email,
                Password=password,
                Permanent=True,
            )
        except PoolError as error:
            raise error.domain_error() from None
        credential.password_changed_at = utcnow()

    def drop_unconfirmed_password(self, user_id):
        """The pool keeps the unconfirmed user's password: replace it with a random one nobody knows
        (permanent, which confirms the pool user) and mark the email verified, so the owner of the email can
        choose their own with forgot-password."""
        credential = self.session.scalars(
            select(Credential).where(Credential.user_id == user_id).with_for_update()
        ).first()
        if credential is None:
            return False
        try:
            self._call(
                "admin_set_user_password",
                UserPoolId=self.pool_id,
                Username=credential.email,
                Password=unusable_password(),
                Permanent=True,
            )
            self._call(
                "admin_update_user_attributes",
                UserPoolId=self.pool_id,
                Username=credential.email,
                UserAttributes=[{"Name": "email_verified", "Value": "true"}],
            )
        except PoolError as error:
            if error.code == "UserNotFoundException":
                return False  # no pool user, so no password
            raise error.domain_error() from None
        credential.password_changed_at = utcnow()
        return True

    def delete_identity(self, user_id):
        credential = self.session.get(Credential, user_id)
        if credential is None:
            return
        try:
            self._call("admin_delete_user", UserPoolId=self.pool_id, Username=credential.email)
        except PoolError as error:
            if error.code != "UserNotFoundException":
                raise error.domain_error() from None
        self.session.delete(credential)


class PoolError(Exception):
    """A cognito-idp error, by its code; ``domain_error`` says it to the client."""

    MESSAGES = {
        "UsernameExistsException": (Conflict, "An account with this email already exists"),
        "AliasExistsException": (Conflict, "An account with this email already exists"),
        "InvalidPasswordException": (ValidationError, "The password does not meet the pool's policy"),
        "CodeMismatchException": (ValidationError, "The code is not valid or has expired"),
        "ExpiredCodeException": (ValidationError, "The code is not valid or has expired"),
        "LimitExceededException": (RateLimited, "Too many attempts; try again later"),
        "TooManyRequestsException": (RateLimited, "Too many attempts; try again later"),
        "NotAuthorizedException": (Unauthorized, "Invalid credentials"),
        "UserNotFoundException": (NotFound, "No such user"),
    }

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code

    def domain_error(self):
        kind, message = self.MESSAGES.get(self.code, (ServiceUnavailable, "The user pool could not be reached"))
        if kind is ValidationError:
            field = "password" if self.code == "InvalidPasswordException" else "code"
            return ValidationError(message, {field: [message]})
        return kind(message)
