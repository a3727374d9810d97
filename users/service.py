"""The users service: profiles, registration, roles, follows, preferences. Entrypoints only."""

import time

from sqlalchemy import func, select

from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.events import DomainEvents
from common.exceptions import Conflict, NotFound, ValidationError
from common.pagination import PageQuerySchema, page_of
from common.revocations import revoked_before_now
from common.roles import ADMIN
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.sql import Database
from common.timers import ConfiguredTimer
from common.validation import load
from users import accounts, directory, preferences, registration, relationships
from users.models import ACTIVE, PENDING, Base, User, UserRole
from users.schemas import (
    AccountIdsSchema,
    AccountPageSchema,
    AdminUpdateSchema,
    ConfirmRegistrationSchema,
    CreateUserSchema,
    ExternalConfirmationSchema,
    ExternalProfileSchema,
    PreferencesSchema,
    ProfileFieldsSchema,
    RegisterSchema,
    RolesSchema,
    SearchSchema,
    UserListSchema,
    account_summary,
    full_profile,
    public_profile,
)

SETTINGS = {
    "require_email_confirmation": Setting(True, "Self-registered users must confirm their email before logging in"),
}

CONFIRMATION_SENT = "If the account is waiting for confirmation, a new code has been sent"


class UsersService(service_base.PlatformService):
    name = "users"

    db = Database(Base)
    caller = Caller()
    settings = RuntimeSettings(SETTINGS)
    events = DomainEvents()
    auth = RpcProxy("auth")

    def _create_account(self, data, roles, status, confirmed, **announce):
        """Profile first (its unique constraints settle races), then the identity in auth; USER_REGISTERED (with
        ``announce`` in its metadata) is committed with the profile."""
        session = self.db.session
        user = accounts.add_user(
            session,
            data["email"],
            data.get("name"),
            username=data.get("username"),
            roles=roles,
            status=status,
            **{key: data[key] for key in accounts.PROFILE_FIELDS if key in data and key != "name"},
        )
        try:
            identity = self.auth.create_identity(
                user_id=str(user.id),
                email=user.email,
                username=user.username,
                password=data.get("password"),
                confirmed=confirmed,
            )
        except Exception:
            session.rollback()  # no profile without an identity
            raise
        self._announce_registration(user, not confirmed, identity["confirmation_code"], **announce)
        try:
            session.commit()
        except Exception:
            self.auth.delete_identity(str(user.id))
            raise
        return user, identity["confirmation_code"]

    def _view(self, user):
        if self.caller.is_admin or self.caller.user_id == str(user.id):
            return full_profile(user)
        return public_profile(user)

    # -- registration ------------------------------------------------------

    @rpc
    def register(self, **payload):
        """The same answer (and about the same time) whether the email and username are free or taken: a taken
        one makes no account, the password is still checked and hashed by auth, and the address is told."""
        started = time.monotonic()
        data = load(RegisterSchema(), payload)
        roles = accounts.check_self_registration_role(data.pop("role"))
        needs_code = self.settings["require_email_confirmation"]
        taken = accounts.find_taken(self.db.session, data["email"], data["username"])
        if taken is None:
            try:
                self._create_account(data, roles, PENDING if needs_code else ACTIVE, confirmed=not needs_code)
            except Conflict:  # a concurrent registration took the email or username first
                taken = accounts.find_taken(self.db.session, data["email"], data["username"])
                if taken is None:
                    raise
            else:  # USER_REGISTERED was saved with the account
                registration.ACCOUNT_MADE.observe(time.monotonic() - started)
        if taken is not None:
            self.auth.screen_password(password=data["password"], email=data["email"], username=data["username"])
            user_id, notice = registration.attempt_notice(*taken, data["email"], data["username"])
            self.events(events.REGISTRATION_ATTEMPTED, user_id=user_id, **notice)
            self.db.session.commit()  # the event's outbox row
            registration.ACCOUNT_MADE.wait_out(time.monotonic() - started)
        return registration.answer(needs_code)

    @rpc
    def confirm_registration(self, **payload):
        data = load(ConfirmRegistrationSchema(), payload)
        session = self.db.session
        user = accounts.find_by_email(session, data["email"])
        if user is None or user.status != PENDING:
            raise ValidationError("The code is not valid or has expired", {"code": ["invalid or expired"]})
        self.auth.confirm_identity(str(user.id), data["code"])
        user.status = ACTIVE
        self.events(events.USER_CONFIRMED, user_id=user.id, email=user.email)
        session.commit()
        return {"message": "Your account is confirmed; you can log in", "user": full_profile(user)}

    @rpc
    def resend_confirmation(self, email):
        user = accounts.find_by_email(self.db.session, str(email))
        if user is not None and user.status == PENDING:
            code = self.auth.new_confirmation_code(str(user.id))["confirmation_code"]
            self._announce_registration(user, True, code, resent=True)
            self.db.session.commit()
        return {"message": CONFIRMATION_SENT}

    def _announce_registration(self, user, requires_confirmation, code, **extra):
        """USER_REGISTERED: notifications sends the code (if any) to the address it was asked for."""
        self.events(
            events.USER_REGISTERED,
            user_id=user.id,
            email=user.email,
            name=user.name,
            username=user.username,
            requires_confirmation=requires_confirmation,
            confirmation_code=code,
            **extra,
        )

    # -- the caller's own profile -------------------------------------------

    @rpc
    def get_profile(self):
        user, counts = relationships.with_counts(self.db.session, self.caller.require_user())
        return {**full_profile(user), **counts}

    @rpc
    def update_profile(self, **payload):
        changes = load(ProfileFieldsSchema(), payload)
        session = self.db.session
        user = accounts.update_profile(accounts.get_user(session, self.caller.require_user()), changes)
        self.events(events.USER_UPDATED, user_id=user.id, fields=sorted(changes))
        session.commit()
        return full_profile(user)

    @rpc
    def get_preferences(self):
        user = accounts.get_user(self.db.session, self.caller.require_user())
        return preferences.read(self.db.session, user.id)

    @rpc
    def update_preferences(self, **payload):
        changes = load(PreferencesSchema(), payload)
        session = self.db.session
        user = accounts.get_user(session, self.caller.require_user())
        merged = preferences.merge(session, user.id, changes)
        # engagement keeps show_on_leaderboard from this (the whole state, so the newest event wins).
        self.events(
            events.USER_UPDATED,
            user_id=user.id,
            fields=[f"preferences.{k}" for k in sorted(changes)],
            preferences=merged,
        )
        session.commit()
        return merged

    # -- anyone's profile ----------------------------------------------------

    @rpc
    def get_user(self, user_id):
        session = self.db.session
        user = accounts.get_user(session, user_id)
        profile = self._view(user)
        profile.update(relationships.counts(session, user.id))
        return profile

    @rpc
    def sso_profile(self, **payload):
        """Internal: auth's SSO sign-in finds, links or creates the profile of an outside identity."""
        data = load(ExternalProfileSchema(), payload)
        session = self.db.session
        user, outcome = accounts.find_or_create_external(
            session, data["provider"], data["provider_id"], data["email"], data["email_verified"], data["name"]
        )
        if outcome == "created":
            self._announce_registration(user, False, None, provider=user.provider)
        session.commit()
        return {"user": full_profile(user), "outcome": outcome}

    @rpc
    def confirm_external_email(self, **payload):
        """Internal: auth's SSO sign-in, once it has removed the unconfirmed password, activates a pending
        account whose email the provider verified (no gateway route leads here)."""
        data = load(ExternalConfirmationSchema(), payload)
        session = self.db.session
        user, confirmed = accounts.confirm_external_email(session, data["user_id"], data["email"])
        if confirmed:
            self.events(events.USER_CONFIRMED, user_id=user.id, email=user.email, provider=data["provider"])
        session.commit()
        return {"user": full_profile(user), "confirmed": confirmed}

    @rpc
    def get_account(self, user_id):
        """Internal (auth's login and refresh): the full profile, or None."""
        try:
            return full_profile(accounts.get_user(self.db.session, user_id))
        except NotFound:
            return None

    @rpc
    def get_accounts(self, user_ids):
        """Internal (notifications' fan-out; no gateway route): ``{user_id: {id, email, name, username, status}}``
        for up to a page (``MAX_PAGE_SIZE``) of ids in one query; unknown and malformed ids are left out."""
        data = load(AccountIdsSchema(), {"user_ids": list(user_ids or ())})
        found = accounts.get_many(self.db.session, data["user_ids"])
        return {user_id: account_summary(user) for user_id, user in found.items()}

    @rpc
    def list_accounts(self, **payload):
        """Internal (notifications' announcements; no gateway route): a page of accounts, oldest first, after
        the position ``after`` (the previous page's ``next_after``; None on the last page). Paged by key, not
        offset: an account removed or disabled meanwhile shifts nobody out of the walk."""
        self.caller.require_role(ADMIN)
        query = load(AccountPageSchema(), payload)
        after = directory.parse_key(query["after"]) if query["after"] else None
        users = directory.accounts_after(
            self.db.session, after, query["limit"], role=query["role"], status=query["status"]
        )
        next_after = directory.key_of(users[-1]) if len(users) == query["limit"] else None
        return {"items": [account_summary(user) for user in users], "next_after": next_after}

    @rpc
    def search_users(self, **payload):
        self.caller.require_user()
        query = load(SearchSchema(), payload)
        users, total = directory.find_users(
            self.db.session,
            query["page"],
            query["page_size"],
            text=query["query"],
            role=query["role"],
            status=ACTIVE,
            match_email=self.caller.is_admin,  # others' emails are not searchable
        )
        return page_of([self._view(user) for user in users], total, query["page"], query["page_size"])

    # -- admin ---------------------------------------------------------------

    @rpc
    def list_users(self, **payload):
        self.caller.require_role(ADMIN)
        query = load(UserListSchema(), payload)
        users, total = directory.find_users(
            self.db.session,
            query["page"],
            query["page_size"],
            text=query["q"],
            role=query["role"],
            status=query["status"],
        )
        return page_of([full_profile(user) for user in users], total, query["page"], query["page_size"])

    @rpc
    def create_user(self, **payload):
        """Admin (or operator) creates an account that is active at once."""
        self.caller.require_role(ADMIN)
        data = load(CreateUserSchema(), payload)
        user, _ = self._create_account(
            data, data["roles"], data["status"], confirmed=True, created_by=self.caller.user_id
        )
        return full_profile(user)

    @rpc
    def update_user(self, user_id, **payload):
        self.caller.require_role(ADMIN)
        changes = load(AdminUpdateSchema(), payload)
        session = self.db.session
        user = accounts.get_user(session, user_id, for_update=True)
        if changes.get("status", ACTIVE) != ACTIVE:
            accounts.ensure_not_last_admin(session, user)
        was_active = user.status == ACTIVE
        accounts.update_profile(user, changes)
        self.events(events.USER_UPDATED, user_id=user.id, fields=sorted(changes), by=self.caller.user_id)
        if was_active and user.status != ACTIVE:
            # The account's access tokens are refused from now on (the gateway hears this).
            self.events(
                events.USER_DISABLED,
                user_id=user.id,
                status=user.status,
                by=self.caller.user_id,
                **revoked_before_now(),
            )
        session.commit()
        return full_profile(user)

    @rpc
    def delete_user(self, user_id):
        self.caller.require_role(ADMIN)
        session = self.db.session
        user = accounts.get_user(session, user_id, for_update=True)
        accounts.ensure_not_last_admin(session, user)
        email, deleted_id = user.email, user.id  # the canonical id: the tokens' ``sub``, whatever the path said
        session.delete(user)
        session.flush()
        self.auth.delete_identity(str(user.id))
        self.events(
            events.USER_DELETED, user_id=deleted_id, email=email, by=self.caller.user_id, **revoked_before_now()
        )
        session.commit()
        return {"deleted": True, "user_id": str(user_id)}

    @rpc
    def get_roles(self, user_id):
        user = accounts.get_user(self.db.session, user_id)
        return {"user_id": str(user.id), "roles": user.roles}

    @rpc
    def set_roles(self, user_id, **payload):
        self.caller.require_role(ADMIN)
        data = load(RolesSchema(), payload)
        session = self.db.session
        # Locking the admin role rows keeps two concurrent demotions from removing the last admin.
        session.scalars(select(UserRole).where(UserRole.role == ADMIN).with_for_update()).all()
        user = accounts.get_user(session, user_id, for_update=True)
        before = user.roles
        roles = accounts.set_roles(session, user, data["roles"])
        self.events(
            events.USER_ROLES_CHANGED,
            user_id=user.id,
            before=before,
            after=roles,
            by=self.caller.user_id,
            **revoked_before_now(),  # the gateway refuses the older tokens when a role was taken away
        )
        session.commit()
        return {"user_id": str(user.id), "roles": roles}

    # -- relationships ---------------------------------------------------------

    @rpc
    def follow(self, user_id):
        return self._set_following(user_id, relationships.follow, events.USER_FOLLOWED, following=True)

    @rpc
    def unfollow(self, user_id):
        return self._set_following(user_id, relationships.unfollow, events.USER_UNFOLLOWED, following=False)

    def _set_following(self, user_id, change, event_type, following):
        session = self.db.session
        me = accounts.get_user(session, self.caller.require_user())
        other = accounts.get_user(session, user_id)
        changed = change(session, me.id, other.id)
        if changed:  # following twice, or unfollowing a stranger, is harmless and silent
            # The follower's name travels with the event: notifications writes "<name> now follows you" from it.
            self.events(event_type, user_id=me.id, followee_id=str(other.id), follower_name=me.name)
        session.commit()
        return {"following": following, "user_id": str(other.id)}

    @rpc
    def list_followers(self, user_id, **payload):
        return self._follow_page(relationships.followers, user_id, payload)

    @rpc
    def list_following(self, user_id, **payload):
        return self._follow_page(relationships.following, user_id, payload)

    def _follow_page(self, lister, user_id, payload):
        self.caller.require_user()
        query = load(PageQuerySchema(), payload)
        session = self.db.session
        user = accounts.get_user(session, user_id)
        users, total = lister(session, user.id, query["page"], query["page_size"])
        return page_of([public_profile(other) for other in users], total, query["page"], query["page_size"])

    # -- admin dashboard ---------------------------------------------------------

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        session = self.db.session
        by_status = dict(session.execute(select(User.status, func.count()).group_by(User.status)).all())
        by_role = dict(session.execute(select(UserRole.role, func.count()).group_by(UserRole.role)).all())
        return {
            "users": sum(by_status.values()),
            "by_status": by_status,
            "by_role": by_role,
            "generated_at": isoformat(utcnow()),
        }
