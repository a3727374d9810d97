"""The auth service: credentials, tokens and codes. Entrypoints only: flows in logins.py, sessions.py,
external.py and password_changes.py; queries in store.py and one module per table."""

from nameko.dependency_providers import Config

from auth import contracts, logins, password_changes, password_policy, revocations
from auth.external import ExternalSignIns, linked_identities_view
from auth.models import Base
from auth.passwords import PasswordHashing
from auth.providers.configured import identity_provider
from auth.sessions import Sessions, active_account
from auth.signing import SigningKeys
from auth.store import Counts, LinkedIdentities
from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.contracts import accepts
from common.events import DomainEvents
from common.exceptions import Forbidden, NotFound
from common.ids import parse_uuid
from common.revocations import handles_revoking_events
from common.roles import ADMIN
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.stores import SqlStore
from common.timers import ConfiguredTimer

SETTINGS = {
    "max_failed_logins": Setting(5, "Failed logins in the window that lock an identifier", minimum=1, maximum=100),
    "failure_window_seconds": Setting(900, "Window in which failed logins are counted", minimum=10),
    "lockout_seconds": Setting(900, "How long a locked identifier stays locked", minimum=1),
    "refresh_token_ttl_seconds": Setting(30 * 24 * 3600, "Lifetime of a refresh token", minimum=60),
    "confirmation_code_ttl_seconds": Setting(24 * 3600, "Lifetime of a registration code", minimum=60),
    "reset_code_ttl_seconds": Setting(900, "Lifetime of a password reset code", minimum=60),
    "code_max_attempts": Setting(5, "Wrong guesses that void a one-time code", minimum=1, maximum=20),
}


class AuthService(service_base.PlatformService):
    name = "auth"

    config = Config()
    store = SqlStore(Base, identities=LinkedIdentities, counts=Counts)
    signing = SigningKeys()
    passwords = PasswordHashing()
    caller = Caller()
    settings = RuntimeSettings(SETTINGS)
    events = DomainEvents()
    users = RpcProxy("users")

    def _auth_config(self):
        return self.config.get("AUTH") or {}

    def _provider(self):
        return identity_provider(self._auth_config(), self.store.session, self.passwords, self.settings)

    def _access_ttl(self):
        return int((self.config.get("JWT") or {}).get("ACCESS_TOKEN_TTL", 900))

    def _sessions(self):
        ttl = self.settings["refresh_token_ttl_seconds"]
        return Sessions(self.store.session, self.events, self.signing, ttl, self._access_ttl())

    def _active_account(self, user_id):
        return active_account(self.users.get_account, user_id)

    # -- login, tokens -----------------------------------------------------

    @rpc
    @accepts(contracts.LoginBody)
    def login(self, identifier, password):
        provider, session, client = self._provider(), self.store.session, self.caller.client_address
        user_id = logins.check_password(session, provider, identifier, password, client, self.settings, self.events)
        account = self._active_account(user_id)
        self.events(events.USER_LOGGED_IN, user_id=user_id, provider=provider.name)
        return self._sessions().issue(account)  # commits the event with the refresh token

    @rpc
    @accepts(contracts.RefreshToken)
    def refresh(self, refresh_token):
        return self._sessions().rotate(refresh_token, self._active_account)

    @rpc
    @accepts(contracts.Logout)
    def logout(self, refresh_token, all_sessions=False, access_token_id=None):
        self._sessions().end(refresh_token, self.caller.user_id, all_sessions, access_token_id)
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
        return revocations.active(self.store.session, self._access_ttl())

    @handles_revoking_events(sources=["users"])
    def record_revocation(self, event):
        """Kept for gateways that start later (users' own revocations; auth records its own with the change)."""
        revocations.record_users_event(self.store.session, event, self._access_ttl())

    # -- single sign-on: Cognito's hosted UI, Google, GitHub -------------------

    def _external(self):
        sessions, provider = self._sessions(), self._provider()
        return ExternalSignIns(
            self._auth_config(), self.store, self.events, self.users, provider, sessions, self._active_account
        )

    @rpc
    @accepts(contracts.SignInStart)
    def login_url(self, redirect_uri=None):
        """The Cognito hosted UI's sign-in URL, with a fresh state and PKCE challenge."""
        result = self._external().start("cognito", redirect_uri)
        return {**result, "login_url": result["url"]}

    @rpc
    @accepts(contracts.SignInStart)
    def logout_url(self, redirect_uri=None):
        """The Cognito hosted UI's sign-out URL that brings the user back to sign in again, with a fresh state.
        The client also revokes its own refresh token at POST /auth/logout."""
        return self._external().start_sign_out(redirect_uri)

    def _sign_in_with(self, provider, answer):
        external = self._external()
        return external.sign_in(external.finish(provider, answer))

    @rpc
    @accepts(contracts.SsoCallback, changes="answer")
    def sso_callback(self, answer):
        """The hosted UI sent the browser back: check the state, exchange the code, verify the ID token."""
        return self._sign_in_with("cognito", answer)

    @rpc
    def sso_user_info(self):
        """The signed-in user's profile and the outside identities linked to it."""
        user_id = parse_uuid(self.caller.require_user())
        account = self._active_account(user_id)
        return {"user": account, "identities": linked_identities_view(self.store.identities.of_user(user_id))}

    @rpc
    @accepts(contracts.OAuthStart)
    def oauth_login_url(self, provider, redirect_uri=None):
        """Google's or GitHub's authorization URL, with a fresh state and PKCE challenge."""
        return self._external().start(provider, redirect_uri)

    @rpc
    @accepts(contracts.OAuthCode, changes="answer")
    def oauth_google(self, answer):
        return self._sign_in_with("google", answer)

    @rpc
    @accepts(contracts.OAuthCode, changes="answer")
    def oauth_github(self, answer):
        return self._sign_in_with("github", answer)

    # -- identities (internal: called by users over RPC; no gateway route leads here) ----------

    @rpc
    @accepts(contracts.NewIdentity)
    def create_identity(self, user_id, email, username=None, password=None, confirmed=False):
        if password is not None:
            password_policy.check(password, (email, username))
        code = self._provider().create_identity(user_id, email, username, password, confirmed)
        self.store.commit()
        return {"confirmation_code": code}

    @rpc
    def screen_password(self, password, email, username=None):
        """users' registration of an email or username taken already: answered as ``create_identity`` would be."""
        password_policy.screen(self.passwords, str(password), email, username)
        return {"acceptable": True}

    @rpc
    def confirm_identity(self, user_id, code):
        self._provider().confirm_identity(parse_uuid(user_id), str(code))
        self.store.commit()
        return {"confirmed": True}

    @rpc
    def new_confirmation_code(self, user_id):
        code = self._provider().new_confirmation_code(parse_uuid(user_id))
        self.store.commit()
        return {"confirmation_code": code}

    @rpc
    def delete_identity(self, user_id):
        self._provider().delete_identity(parse_uuid(user_id))
        self.store.commit()
        return {"deleted": True}

    @rpc
    def find_user_id(self, identifier):
        user_id = self._provider().find_user_id(identifier)
        if user_id is None:
            raise NotFound("No such user")
        return str(user_id)

    # -- passwords ---------------------------------------------------------

    @rpc
    @accepts(contracts.Identifier)
    def forgot_password(self, identifier):
        answer = password_changes.request_reset(self._provider(), identifier, self.events)
        self.store.commit()
        return answer

    @rpc
    @accepts(contracts.PasswordReset)
    def confirm_forgot_password(self, identifier, code, new_password):
        answer = password_changes.reset(
            self.store.session, self._provider(), self._sessions(), identifier, code, new_password
        )
        self.store.commit()
        return answer

    @rpc
    @accepts(contracts.PasswordChange)
    def change_password(self, current_password, new_password):
        user_id = parse_uuid(self.caller.require_user())
        password_changes.change(self._provider(), self._sessions(), user_id, current_password, new_password)
        self.store.commit()
        # Every token of the user issued so far is revoked, the caller's too: this session goes on with new ones.
        return {
            "message": "The password has been changed; other sessions were signed out",
            **self._sessions().issue(self._active_account(user_id)),
        }

    @rpc
    @accepts(contracts.PasswordSetting)
    def admin_set_password(self, user_id, password):
        self.caller.require_role(ADMIN)
        answer = password_changes.set_by_admin(self._provider(), self._sessions(), parse_uuid(user_id), password)
        self.store.commit()
        return answer

    # -- admin -------------------------------------------------------------

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        counts, now = self.store.counts, utcnow()
        live = counts.live_refresh_tokens(now)
        return {"identities": counts.identities(), "active_refresh_tokens": live, "generated_at": isoformat(now)}
