"""Single sign-on (Cognito's hosted UI, Google, GitHub): the sign-in's state, the code's exchange, and the first
sign-in of an outside identity, which links it to an account (found or created by users)."""

from auth import refresh_tokens, sign_in_states
from auth.providers.cognito import CognitoHostedUI
from auth.providers.oauth import OAUTH_CLIENTS, denied
from common import events
from common.accounts import PENDING
from common.clock import isoformat
from common.exceptions import Conflict, ValidationError
from common.ids import parse_uuid


def linked_identities_view(links):
    return [
        {
            "provider": link.provider,
            "subject": link.subject,
            "email": link.email,
            "linked_at": isoformat(link.created_at),
        }
        for link in links
    ]


class ExternalSignIns:
    """``auth_config``: the AUTH settings (each provider's, ``STATE_TTL_SECONDS``); ``store``: the worker's
    repositories; ``users``: users' RPC proxy; ``identity_provider``: the provider of passwords (a claimed
    account's password is dropped there); ``sessions``: auth/sessions.py; ``check_account``: the account of a
    user id, if it may sign in."""

    def __init__(self, auth_config, store, publish, users, identity_provider, sessions, check_account):
        self.auth_config = auth_config
        self.store = store
        self.publish = publish
        self.users = users
        self.identity_provider = identity_provider
        self.sessions = sessions
        self.check_account = check_account

    def client(self, provider):
        if provider == CognitoHostedUI.name:
            return CognitoHostedUI(self.auth_config.get("COGNITO"))
        return OAUTH_CLIENTS[provider](self.auth_config.get(provider.upper()))

    def start(self, provider, redirect_uri, pkce=True, make_url=None):
        """A fresh stored state (with a PKCE verifier unless ``pkce`` is false) and the URL that starts the sign-in
        (``make_url(state, code_verifier, redirect_uri)``, the provider's authorization URL by default)."""
        client = provider if isinstance(provider, CognitoHostedUI) else self.client(provider)
        client.ensure_configured()  # 404 NOT_CONFIGURED first: no redirect URI matters for a provider not set up
        redirect_uri = redirect_uri or client.redirect_uri
        if not redirect_uri:
            raise ValidationError("No redirect URI is configured", {"redirect_uri": ["required"]})
        ttl = int(self.auth_config.get("STATE_TTL_SECONDS") or 600)
        state, code_verifier = sign_in_states.start(self.store.session, client.name, redirect_uri, ttl, pkce=pkce)
        url = (make_url or client.authorization_url)(state, code_verifier, redirect_uri)
        self.store.commit()
        return {"url": url, "state": state, "provider": client.name, "expires_in": ttl}

    def start_sign_out(self, redirect_uri):
        """Cognito's /logout in its sign-in-again form (auth/providers/cognito.py): a state with no verifier, as
        that form documents no PKCE parameters; and the plain sign-out URL."""
        client = self.client(CognitoHostedUI.name)
        make_url = lambda state, _, uri: client.logout_url(state, uri)  # noqa: E731
        result = self.start(client, redirect_uri, pkce=False, make_url=make_url)
        return {**result, "logout_url": result["url"], "sign_out_url": client.sign_out_url()}

    def finish(self, provider, answer):
        """The identity a provider's answer (its code, or its error, and our state) proves."""
        client = self.client(provider)
        session, token = self._exchange(client, **answer)
        # The hosted UI's ID token is in the token answer; Google and GitHub are asked with the session.
        return client.identity(token if isinstance(client, CognitoHostedUI) else session)

    def _exchange(self, client, state, code=None, error=None, error_description=None, redirect_uri=None):
        """Spend the state (even when the provider sent an error), then exchange the code."""
        code_verifier, started_with = sign_in_states.spend(self.store.session, client.name, state)
        if error:
            raise denied(error, error_description)
        if redirect_uri and redirect_uri != started_with:
            raise ValidationError(
                "The redirect URI differs from the one the sign-in started with", {"redirect_uri": ["mismatch"]}
            )
        return client.exchange(code, code_verifier, started_with)

    def sign_in(self, identity):
        """Tokens for the user an outside identity is linked to; the first sign-in links or creates the user."""
        link = self.store.identities.find(identity.provider, identity.subject)
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
            if found["outcome"] == "linked" and found["user"]["status"] == PENDING:
                self._claim_unconfirmed_account(user_id, identity)
            if not self.store.identities.link(identity, user_id):
                # A concurrent first sign-in of the same identity linked it first (the unique constraint on
                # provider + subject, or the credential's key, settled it): this one signs in to that user.
                link = self.store.identities.find(identity.provider, identity.subject)
                if link is None:
                    raise Conflict("An account with this email already exists")
                first_sign_in = False
        if link is not None:
            user_id = link.user_id
        account = self.check_account(user_id)
        self.publish(events.USER_LOGGED_IN, user_id=user_id, provider=identity.provider, first_sign_in=first_sign_in)
        result = self.sessions.issue(account)  # commits the link and the event with the refresh token
        result["provider"] = identity.provider
        result["first_sign_in"] = first_sign_in
        return result

    def _claim_unconfirmed_account(self, user_id, identity):
        """A provider-verified email signs in to an account still waiting for its email confirmation.

        The verified email proves who owns the address; whoever chose the account's password did not (it may
        be someone who registered another person's email), so the password is made unusable and committed
        first, and only then does users confirm the account. If this stops in between, the account is pending
        without a password and the next sign-in of the identity (not linked yet) does it again; it is never
        active with the unproven password."""
        if self.identity_provider.drop_unconfirmed_password(user_id):
            self.sessions.end_all_for_new_password(user_id, reason="unconfirmed_sso_claim", provider=identity.provider)
        else:
            refresh_tokens.revoke_all(self.store.session, user_id)
        self.store.commit()
        self.users.confirm_external_email(user_id=str(user_id), email=identity.email, provider=identity.provider)
