"""The auth service: credentials, tokens and codes. Entrypoints only."""

import uuid

from nameko.dependency_providers import Config
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from auth import lockout, password_policy, refresh_tokens, revocations, sign_in_states
from auth.models import Base, Credential, LinkedIdentity, RefreshToken
from auth.passwords import PasswordHashing
from auth.providers.cognito import CognitoHostedUI, CognitoUserPoolProvider
from auth.providers.credentials import normalize_identifier
from auth.providers.local import LocalIdentityProvider
from auth.providers.oauth import OAUTH_CLIENTS, denied
from auth.schemas import (
    ChangePasswordSchema,
    IdentifierSchema,
    LoginSchema,
    NewIdentitySchema,
    OAuthCodeSchema,
    OAuthStartSchema,
    PasswordResetSchema,
    SetPasswordSchema,
    SsoCallbackSchema,
    token_pair,
)
from auth.signing import SigningKeys
from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.events import DomainEvents
from common.exceptions import Conflict, Forbidden, NotFound, RateLimited, Unauthorized, ValidationError
from common.ids import parse_uuid
from common.revocations import REVOKED_BEFORE, REVOKED_TOKEN_IDS, Revocation, handles_revoking_events, revocation_of
from common.revocations import now as revoked_now
from common.roles import ADMIN
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.sql import Database
from common.timers import ConfiguredTimer
from common.validation import load

SETTINGS = {
    "max_failed_logins": Setting(5, "Failed logins in the window that lock an identifier", minimum=1, maximum=100),
    "failure_window_seconds": Setting(900, "Window in which failed logins are counted", minimum=10),
    "lockout_seconds": Setting(900, "How long a locked identifier stays locked", minimum=1),
    "refresh_token_ttl_seconds": Setting(30 * 24 * 3600, "Lifetime of a refresh token", minimum=60),
    "confirmation_code_ttl_seconds": Setting(24 * 3600, "Lifetime of a registration code", minimum=60),
    "reset_code_ttl_seconds": Setting(900, "Lifetime of a password reset code", minimum=60),
    "code_max_attempts": Setting(5, "Wrong guesses that void a one-time code", minimum=1, maximum=20),
}

GENERIC_LOGIN_ERROR = "Invalid credentials"
RESET_MESSAGE = "If an account matches, a reset code has been sent"


class AuthService(service_base.PlatformService):
    name = "auth"

    db = Database(Base)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS)
    events = DomainEvents()
    signing = SigningKeys()
    passwords = PasswordHashing()
    users = RpcProxy("users")
    config = Config()

    def _provider(self):
        auth_config = self.config.get("AUTH") or {}
        if auth_config.get("PROVIDER") == "cognito":
            return CognitoUserPoolProvider(self.db.session, auth_config.get("COGNITO"))
        return LocalIdentityProvider(self.db.session, self.passwords, self.settings)

    def _tokens_for(self, account):
        session = self.db.session
        family_id = uuid.uuid4()
        refresh_token = refresh_tokens.issue(
            session, parse_uuid(account["id"]), self.settings["refresh_token_ttl_seconds"], family_id=family_id
        )
        session.commit()
        access_token = self.signing.access_token(account["id"], account["roles"], session_id=family_id)
        return token_pair(access_token, self.signing.access_ttl, refresh_token, account)

    def _access_ttl(self):
        return int((self.config.get("JWT") or {}).get("ACCESS_TOKEN_TTL", 900))

    def _revoke(self, user_id, reason, user_wide=False, token_ids=()):
        """Record that the user's access tokens issued until now (``user_wide``), or those named, are revoked
        (with the change, not committed); the metadata that tells the gateway, for the event."""
        at = revoked_now()
        revocation = Revocation(
            str(user_id), at if user_wide else None, tuple(str(token_id) for token_id in token_ids), revoked_at=at
        )
        revocations.record(self.db.session, revocation, reason, self._access_ttl())
        metadata = {REVOKED_TOKEN_IDS: list(revocation.token_ids)} if token_ids else {}
        if user_wide:
            metadata[REVOKED_BEFORE] = at
        return metadata

    def _active_account(self, user_id):
        account = self.users.get_account(str(user_id))
        if account is None:
            raise Unauthorized(GENERIC_LOGIN_ERROR)
        if account["status"] == "pending":
            raise Forbidden("The account is not confirmed yet; use the code sent by email")
        if account["status"] != "active":
            raise Forbidden("The account is disabled")
        return account

    # -- login, tokens -----------------------------------------------------

    @rpc
    def login(self, **payload):
        data = load(LoginSchema(), payload)
        identifier = normalize_identifier(data["identifier"])
        client = self.caller.client_address
        session = self.db.session
        until = lockout.locked_until(session, identifier, client)
        if until:
            raise RateLimited("Too many failed logins; try again later", {"retry_after": lockout.seconds_left(until)})
        provider = self._provider()
        user_id = provider.authenticate(identifier, data["password"])
        if user_id is None:
            try:
                until = lockout.record_failure(
                    session,
                    identifier,
                    client,
                    self.settings["max_failed_logins"],
                    self.settings["failure_window_seconds"],
                    self.settings["lockout_seconds"],
                )
                session.commit()
            except IntegrityError:  # a concurrent first failure created the row
                session.rollback()
                until = None
            self.events(events.LOGIN_FAILED, identifier=identifier, locked=until is not None)
            if until is not None:
                self._announce_lock(provider, identifier, until)
            session.commit()
            raise Unauthorized(GENERIC_LOGIN_ERROR)
        lockout.clear(session, identifier, client)
        account = self._active_account(user_id)
        self.events(events.USER_LOGGED_IN, user_id=user_id, provider=provider.name)
        return self._tokens_for(account)  # commits the event with the refresh token

    def _announce_lock(self, provider, identifier, until):
        """Tell the owner, if the identifier is an account's, that it is locked (a security message to them,
        never an answer to the caller: the login still says nothing about whether the account exists)."""
        user_id = provider.find_user_id(identifier)
        if user_id is not None:
            self.events(events.ACCOUNT_LOCKED, user_id=user_id, locked_until=isoformat(until))

    @rpc
    def refresh(self, refresh_token):
        session = self.db.session
        try:
            user_id, new_token = refresh_tokens.rotate(
                session, refresh_token, self.settings["refresh_token_ttl_seconds"]
            )
        except refresh_tokens.ReusedToken as reuse:
            # The family's access tokens go with it: whoever replayed the token may hold one.
            revoked = self._revoke(reuse.user_id, "refresh_token_reused", token_ids=[reuse.family_id])
            self.events(events.REFRESH_TOKEN_REUSED, user_id=reuse.user_id, **revoked)
            session.commit()
            raise Unauthorized("The refresh token was already used; please log in again") from None
        family_id = refresh_tokens.find(session, new_token).family_id
        account = self._active_account(user_id)
        session.commit()
        access_token = self.signing.access_token(account["id"], account["roles"], session_id=family_id)
        return token_pair(access_token, self.signing.access_ttl, new_token, account)

    @rpc
    def logout(self, refresh_token, all_sessions=False, access_token_id=None):
        """Revoke the refresh token's session (or all the user's), with its access tokens: those issued with
        it, and ``access_token_id``, the one the gateway saw the caller present."""
        session = self.db.session
        row = refresh_tokens.find(session, refresh_token)
        if row is None:
            raise Unauthorized("The refresh token is not valid")
        if self.caller.user_id and self.caller.user_id != str(row.user_id):
            raise Forbidden("That refresh token is not yours")
        if all_sessions:
            refresh_tokens.revoke_all(session, row.user_id)
        else:
            refresh_tokens.revoke_family(session, row.family_id)
        token_ids = [row.family_id] + ([access_token_id] if access_token_id else [])
        revoked = self._revoke(row.user_id, "logout", user_wide=bool(all_sessions), token_ids=token_ids)
        self.events(events.USER_LOGGED_OUT, user_id=row.user_id, all_sessions=bool(all_sessions), **revoked)
        session.commit()
        return {"logged_out": True}

    @rpc
    def verify_token(self):
        """The gateway has checked the signature; this checks the account is still good."""
        account = self._active_account(self.caller.require_user())
        return {"valid": True, "user_id": account["id"], "roles": account["roles"]}

    @rpc
    def jwks(self):
        return self.signing.jwks

    @rpc
    def active_revocations(self):
        """Internal: a starting gateway loads the access-token revocations still in force."""
        if not self.caller.is_internal:
            raise Forbidden("Internal operation")
        return revocations.active(self.db.session, self._access_ttl())

    @handles_revoking_events(sources=["users"])
    def record_revocation(self, event):
        """Kept for gateways that start later (users' own revocations; auth records its own with the change)."""
        revocation = revocation_of(event)
        if revocation is not None:
            reason = event["event_type"].lower()
            revocations.record_event(self.db.session, revocation, reason, self._access_ttl(), event["event_id"])

    # -- single sign-on: Cognito's hosted UI, Google, GitHub -------------------

    def _auth_config(self):
        return self.config.get("AUTH") or {}

    def _cognito(self):
        return CognitoHostedUI(self._auth_config().get("COGNITO"))

    def _oauth_client(self, provider):
        return OAUTH_CLIENTS[provider](self._auth_config().get(provider.upper()))

    def _start_sign_in(self, client, redirect_uri, pkce=True, make_url=None):
        """A fresh stored state (with a PKCE verifier unless ``pkce`` is false) and the URL that starts the sign-in
        (``make_url(state, code_verifier, redirect_uri)``, the provider's authorization URL by default)."""
        client.ensure_configured()  # 404 NOT_CONFIGURED first: no redirect URI matters for a provider not set up
        redirect_uri = redirect_uri or client.redirect_uri
        if not redirect_uri:
            raise ValidationError("No redirect URI is configured", {"redirect_uri": ["required"]})
        ttl = int(self._auth_config().get("STATE_TTL_SECONDS") or 600)
        state, code_verifier = sign_in_states.start(self.db.session, client.name, redirect_uri, ttl, pkce=pkce)
        url = (make_url or client.authorization_url)(state, code_verifier, redirect_uri)
        self.db.session.commit()
        return {"url": url, "state": state, "provider": client.name, "expires_in": ttl}

    def _finish_sign_in(self, client, data):
        """Spend the state (even when the provider sent an error), then exchange the code."""
        code_verifier, redirect_uri = sign_in_states.spend(self.db.session, client.name, data["state"])
        if data["error"]:
            raise denied(data["error"], data["error_description"])
        if data.get("redirect_uri") and data["redirect_uri"] != redirect_uri:
            raise ValidationError(
                "The redirect URI differs from the one the sign-in started with", {"redirect_uri": ["mismatch"]}
            )
        return client.exchange(data["code"], code_verifier, redirect_uri)

    def _claim_unconfirmed_account(self, user_id, identity):
        """A provider-verified email signs in to an account still waiting for its email confirmation.

        The verified email proves who owns the address; whoever chose the account's password did not (it may
        be someone who registered another person's email), so the password is made unusable and committed
        first, and only then does users confirm the account. If this stops in between, the account is pending
        without a password and the next sign-in of the identity (not linked yet) does it again; it is never
        active with the unproven password."""
        session = self.db.session
        dropped = self._provider().drop_unconfirmed_password(user_id)
        refresh_tokens.revoke_all(session, user_id)
        revoked = self._revoke(user_id, "password_changed", user_wide=True) if dropped else {}
        if dropped:
            self.events(
                events.PASSWORD_CHANGED,
                user_id=user_id,
                reason="unconfirmed_sso_claim",
                provider=identity.provider,
                **revoked,
            )
        session.commit()
        self.users.confirm_external_email(user_id=str(user_id), email=identity.email, provider=identity.provider)

    def _sign_in_external(self, identity):
        """Tokens for the user an outside identity is linked to; the first sign-in links or creates the user."""
        session = self.db.session
        link = session.scalars(
            select(LinkedIdentity).where(
                LinkedIdentity.provider == identity.provider, LinkedIdentity.subject == identity.subject
            )
        ).first()
        first_sign_in = link is None
        if first_sign_in:
            found = self.users.sso_profile(
                provider=identity.provider,
                provider_id=identity.subject,
                email=identity.email,
                email_verified=identity.email_verified,
                name=identity.name,
            )
            user_id = parse_uuid(found["user"]["id"])
            if found["outcome"] == "linked" and found["user"]["status"] == "pending":
                self._claim_unconfirmed_account(user_id, identity)
            if session.get(Credential, user_id) is None:
                session.add(Credential(user_id=user_id, email=identity.email, provider=identity.provider))
            session.add(
                LinkedIdentity(
                    provider=identity.provider, subject=identity.subject, user_id=user_id, email=identity.email
                )
            )
            try:
                session.flush()
            except IntegrityError:
                # A concurrent first sign-in of the same identity linked it first (the unique constraint on
                # provider + subject, or the credential's key, settled it): this one signs in to that user.
                session.rollback()
                link = session.scalars(
                    select(LinkedIdentity).where(
                        LinkedIdentity.provider == identity.provider, LinkedIdentity.subject == identity.subject
                    )
                ).first()
                if link is None:
                    raise Conflict("An account with this email already exists") from None
                first_sign_in = False
        if link is not None:
            user_id = link.user_id
        account = self._active_account(user_id)
        self.events(events.USER_LOGGED_IN, user_id=user_id, provider=identity.provider, first_sign_in=first_sign_in)
        result = self._tokens_for(account)  # commits the link and the event with the refresh token
        result["provider"] = identity.provider
        result["first_sign_in"] = first_sign_in
        return result

    @rpc
    def login_url(self, redirect_uri=None):
        """The Cognito hosted UI's sign-in URL, with a fresh state and PKCE challenge."""
        result = self._start_sign_in(self._cognito(), redirect_uri)
        result["login_url"] = result["url"]
        return result

    @rpc
    def logout_url(self, redirect_uri=None):
        """The Cognito hosted UI's sign-out URL that brings the user back to sign in again, with a fresh state.

        Cognito's /logout passes client_id, redirect_uri, response_type, scope and state on to /login, and
        documents no PKCE parameters, so this state keeps no verifier and its code is exchanged without one.
        The client also revokes its own refresh token at POST /auth/logout.
        """
        client = self._cognito()
        result = self._start_sign_in(
            client, redirect_uri, pkce=False, make_url=lambda state, _, uri: client.logout_url(state, uri)
        )
        result["logout_url"] = result["url"]
        result["sign_out_url"] = client.sign_out_url()
        return result

    @rpc
    def sso_callback(self, **payload):
        """The hosted UI sent the browser back: check the state, exchange the code, verify the ID token."""
        data = load(SsoCallbackSchema(), payload)
        client = self._cognito()
        _, token = self._finish_sign_in(client, data)
        return self._sign_in_external(client.identity(token))

    @rpc
    def sso_user_info(self):
        """The signed-in user's profile and the outside identities linked to it."""
        user_id = parse_uuid(self.caller.require_user())
        account = self._active_account(user_id)
        links = self.db.session.scalars(
            select(LinkedIdentity).where(LinkedIdentity.user_id == user_id).order_by(LinkedIdentity.created_at)
        ).all()
        return {
            "user": account,
            "identities": [
                {
                    "provider": link.provider,
                    "subject": link.subject,
                    "email": link.email,
                    "linked_at": isoformat(link.created_at),
                }
                for link in links
            ],
        }

    @rpc
    def oauth_login_url(self, **payload):
        """Google's or GitHub's authorization URL, with a fresh state and PKCE challenge."""
        data = load(OAuthStartSchema(), payload)
        return self._start_sign_in(self._oauth_client(data["provider"]), data["redirect_uri"])

    def _oauth_sign_in(self, provider, payload):
        data = load(OAuthCodeSchema(), payload)
        client = self._oauth_client(provider)
        session, _ = self._finish_sign_in(client, data)
        return self._sign_in_external(client.identity(session))

    @rpc
    def oauth_google(self, **payload):
        return self._oauth_sign_in("google", payload)

    @rpc
    def oauth_github(self, **payload):
        return self._oauth_sign_in("github", payload)

    # -- identities (called by users) -------------------------------------

    @rpc
    def create_identity(self, **payload):
        """Internal: called by users over RPC; no gateway route leads here."""
        data = load(NewIdentitySchema(), payload)
        if data["password"] is not None:
            password_policy.check(data["password"], (data["email"], data["username"]))
        code = self._provider().create_identity(
            data["user_id"], data["email"], data["username"], data["password"], data["confirmed"]
        )
        self.db.session.commit()
        return {"confirmation_code": code}

    @rpc
    def screen_password(self, password, email, username=None):
        """Internal: users' registration of an email or username that is taken already. The password is refused
        as ``create_identity`` would refuse it, and hashed as it would be hashed (the hash is thrown away), so the
        answer and its time are those of a registration that creates an account."""
        password_policy.check(str(password), (email, username))
        self.passwords.hash(str(password))
        return {"acceptable": True}

    @rpc
    def confirm_identity(self, user_id, code):
        """Internal: called by users over RPC; no gateway route leads here."""
        self._provider().confirm_identity(parse_uuid(user_id), str(code))
        self.db.session.commit()
        return {"confirmed": True}

    @rpc
    def new_confirmation_code(self, user_id):
        """Internal: called by users over RPC; no gateway route leads here."""
        code = self._provider().new_confirmation_code(parse_uuid(user_id))
        self.db.session.commit()
        return {"confirmation_code": code}

    @rpc
    def delete_identity(self, user_id):
        """Internal: called by users over RPC; no gateway route leads here."""
        self._provider().delete_identity(parse_uuid(user_id))
        self.db.session.commit()
        return {"deleted": True}

    # -- passwords ---------------------------------------------------------

    @rpc
    def forgot_password(self, **payload):
        data = load(IdentifierSchema(), payload)
        started = self._provider().start_password_reset(data["identifier"])
        if started is not None:
            user_id, email, code = started
            self.events(events.PASSWORD_RESET_REQUESTED, user_id=user_id, email=email, code=code)
            self.db.session.commit()
        return {"message": RESET_MESSAGE}

    @rpc
    def confirm_forgot_password(self, **payload):
        data = load(PasswordResetSchema(), payload)
        session = self.db.session
        # What the caller typed is checked at once; the account's own names only once the code is accepted,
        # so a reset never tells a stranger which username an email has.
        password_policy.check(data["new_password"], (data["identifier"],), field="new_password")
        user_id = self._provider().confirm_password_reset(
            data["identifier"],
            data["code"],
            data["new_password"],
            vet=lambda *names: password_policy.check(data["new_password"], names, field="new_password"),
        )
        refresh_tokens.revoke_all(session, user_id)
        revoked = self._revoke(user_id, "password_changed", user_wide=True)
        lockout.clear_everywhere(session, normalize_identifier(data["identifier"]))
        self.events(events.PASSWORD_CHANGED, user_id=user_id, reason="reset", **revoked)
        session.commit()
        return {"message": "The password has been reset; log in with the new one"}

    @rpc
    def change_password(self, **payload):
        user_id = parse_uuid(self.caller.require_user())
        data = load(ChangePasswordSchema(), payload)
        session = self.db.session
        provider = self._provider()
        password_policy.check(data["new_password"], provider.names_of(user_id), field="new_password")
        provider.change_password(user_id, data["current_password"], data["new_password"])
        refresh_tokens.revoke_all(session, user_id)
        revoked = self._revoke(user_id, "password_changed", user_wide=True)
        self.events(events.PASSWORD_CHANGED, user_id=user_id, reason="change", **revoked)
        session.commit()
        # Every token of the user issued so far is revoked, the caller's too: this session goes on with new ones.
        return {
            "message": "The password has been changed; other sessions were signed out",
            **self._tokens_for(self._active_account(user_id)),
        }

    @rpc
    def admin_set_password(self, **payload):
        self.caller.require_role(ADMIN)
        data = load(SetPasswordSchema(), payload)
        session = self.db.session
        provider = self._provider()
        password_policy.check(data["password"], provider.names_of(data["user_id"]))
        provider.set_password(data["user_id"], data["password"])
        refresh_tokens.revoke_all(session, data["user_id"])
        revoked = self._revoke(data["user_id"], "password_changed", user_wide=True)
        self.events(events.PASSWORD_CHANGED, user_id=data["user_id"], reason="admin", **revoked)
        session.commit()
        return {"message": "The password has been set"}

    # -- admin -------------------------------------------------------------

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        session = self.db.session
        now = utcnow()
        return {
            "identities": session.scalar(select(func.count()).select_from(Credential)),
            "active_refresh_tokens": session.scalar(
                select(func.count())
                .select_from(RefreshToken)
                .where(RefreshToken.revoked_at.is_(None), RefreshToken.used_at.is_(None), RefreshToken.expires_at > now)
            ),
            "generated_at": isoformat(now),
        }

    @rpc
    def find_user_id(self, identifier):
        """Internal: called by users over RPC; no gateway route leads here."""
        user_id = self._provider().find_user_id(identifier)
        if user_id is None:
            raise NotFound("No such user")
        return str(user_id)
