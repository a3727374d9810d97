"""The users service: profiles, registration, roles, follows, preferences. Entrypoints only: flows in
registration.py and administration.py; queries in accounts.py, directory.py, relationships.py, preferences.py
and store.py; wire shapes in views.py."""

from common import events, service_base
from common.clock import isoformat, utcnow
from common.context import Caller
from common.contracts import accepts
from common.events import DomainEvents
from common.exceptions import NotFound
from common.pagination import page_of
from common.roles import ADMIN
from common.rpc import RpcProxy, rpc
from common.runtime_settings import RuntimeSettings, Setting
from common.stores import SqlStore
from common.timers import ConfiguredTimer
from users import (
    accounts,
    administration,
    contracts,
    directory,
    preferences,
    registration,
    relationships,
    visibility,
)
from users.contracts import ACTIVE
from users.models import Base
from users.store import Counts
from users.views import account_summary, full_profile, public_profile

SETTINGS = {
    "require_email_confirmation": Setting(True, "Self-registered users must confirm their email before logging in"),
}


class UsersService(service_base.PlatformService):
    name = "users"

    auth = RpcProxy("auth")
    store = SqlStore(Base, counts=Counts)
    events = DomainEvents()
    caller = Caller()
    settings = RuntimeSettings(SETTINGS)

    def _view(self, user):
        if self.caller.is_admin or self.caller.user_id == str(user.id):
            return full_profile(user)
        return public_profile(user)

    def _me(self):
        return accounts.get_user(self.store.session, self.caller.require_user())

    @ConfiguredTimer.decorator("OUTBOX", "RELAY_INTERVAL", 1)
    def relay_outbox(self):
        """Publish the events the broker did not take right after their change (it was down)."""
        self.events.relay()

    # -- registration ------------------------------------------------------

    @rpc
    @accepts(contracts.Registration)
    def register(self, email, password, name=None, username=None, role="learner"):
        data = {"email": email, "password": password, "name": name, "username": username, "role": role}
        needs_code = self.settings["require_email_confirmation"]
        return registration.register(self.store.session, self.auth, self.events, data, needs_code)

    @rpc
    @accepts(contracts.RegistrationCode)
    def confirm_registration(self, email, code):
        user = registration.confirm(self.store.session, self.auth, self.events, email, code)
        return {"message": "Your account is confirmed; you can log in", "user": full_profile(user)}

    @rpc
    @accepts(contracts.ConfirmationRequest)
    def resend_confirmation(self, email):
        return registration.resend_code(self.store.session, self.auth, self.events, email)

    # -- the caller's own profile -------------------------------------------

    @rpc
    def get_profile(self):
        user, counts = relationships.with_counts(self.store.session, self.caller.require_user())
        return {**full_profile(user), **counts}

    @rpc
    @accepts(contracts.ProfileChanges, changes="changes")
    def update_profile(self, changes):
        user = accounts.update_profile(self._me(), changes)
        self.events(events.USER_UPDATED, user_id=user.id, fields=sorted(changes))
        self.store.commit()
        return full_profile(user)

    @rpc
    def get_preferences(self):
        user = self._me()
        return preferences.with_profile(preferences.read(self.store.session, user.id), user)

    @rpc
    @accepts(contracts.PreferenceChanges, changes="changes")
    def update_preferences(self, changes):
        user = self._me()
        merged = preferences.merge(self.store.session, user.id, changes)
        preferences.copy_to_profile(user, changes, merged)
        merged = preferences.with_profile(merged, user)
        # engagement keeps show_on_leaderboard from this (the whole state, so the newest event wins).
        fields = [f"preferences.{key}" for key in sorted(changes)]
        self.events(events.USER_UPDATED, user_id=user.id, fields=fields, preferences=merged)
        self.store.commit()
        return merged

    # -- anyone's profile ----------------------------------------------------

    @rpc
    def get_user(self, user_id):
        user = accounts.get_user(self.store.session, user_id)
        viewer = self.caller.user_id
        follows = (
            user.profile_visibility == visibility.FOLLOWERS
            and viewer is not None
            and relationships.is_following(self.store.session, viewer, user.id)
        )
        if not visibility.may_see(viewer, self.caller.is_admin, user.id, user.profile_visibility, follows):
            raise NotFound("No such user")  # the same answer as for nobody: a hidden profile is not revealed
        return {**self._view(user), **relationships.counts(self.store.session, user.id)}

    @rpc
    @accepts(contracts.PeopleSearch)
    def search_users(self, query, role, page, page_size):
        self.caller.require_user()
        # Active accounts only; others' emails are searchable by admins only.
        users, total = directory.find_users(
            self.store.session,
            page,
            page_size,
            query,
            role,
            ACTIVE,
            self.caller.is_admin,
            visible_to=visibility.visible_to(self.caller.user_id, self.caller.is_admin),
        )
        return page_of([self._view(user) for user in users], total, page, page_size)

    # -- internal: auth's sign-ins, notifications' fan-out (no gateway route) ---

    @rpc
    @accepts(contracts.ExternalProfile)
    def sso_profile(self, provider, provider_id, email, email_verified, name=None):
        """auth's SSO sign-in finds, links or creates the profile of an outside identity."""
        user, outcome = accounts.find_or_create_external(
            self.store.session, provider, provider_id, email, email_verified, name
        )
        if outcome == "created":
            registration.announce(self.events, user, False, None, provider=user.provider)
        self.store.commit()
        return {"user": full_profile(user), "outcome": outcome}

    @rpc
    @accepts(contracts.ExternalConfirmation)
    def confirm_external_email(self, user_id, email, provider):
        """auth's SSO sign-in, once it has removed the unconfirmed password, activates a pending account whose
        email the provider verified."""
        user, confirmed = accounts.confirm_external_email(self.store.session, user_id, email)
        if confirmed:
            self.events(events.USER_CONFIRMED, user_id=user.id, email=user.email, provider=provider)
        self.store.commit()
        return {"user": full_profile(user), "confirmed": confirmed}

    @rpc
    def get_account(self, user_id):
        """auth's login and refresh: the full profile, or None."""
        try:
            return full_profile(accounts.get_user(self.store.session, user_id))
        except NotFound:
            return None

    @rpc
    @accepts(contracts.AccountIds)
    def get_accounts(self, user_ids):
        """``{user_id: {id, email, name, username, status}}`` for up to a page (``MAX_PAGE_SIZE``) of ids in one
        query; unknown and malformed ids are left out."""
        found = accounts.get_many(self.store.session, user_ids)
        return {user_id: account_summary(user) for user_id, user in found.items()}

    @rpc
    @accepts(contracts.AccountPage)
    def list_accounts(self, after=None, limit=None, role=None, status=None):
        """A page of accounts, oldest first, after the position ``after`` (the previous page's ``next_after``;
        None on the last page). Paged by key, not offset: an account removed or disabled meanwhile shifts nobody
        out of the walk."""
        self.caller.require_role(ADMIN)
        position = directory.parse_key(after) if after else None
        users = directory.accounts_after(self.store.session, position, limit, role=role, status=status)
        next_after = directory.key_of(users[-1]) if len(users) == limit else None
        return {"items": [account_summary(user) for user in users], "next_after": next_after}

    # -- admin ---------------------------------------------------------------

    @rpc
    @accepts(contracts.UserSearch)
    def list_users(self, q, role, status, page, page_size):
        self.caller.require_role(ADMIN)
        users, total = directory.find_users(self.store.session, page, page_size, text=q, role=role, status=status)
        return page_of([full_profile(user) for user in users], total, page, page_size)

    @rpc
    @accepts(contracts.NewUser, changes="data")
    def create_user(self, data):
        """Admin (or operator) creates an account that is active at once."""
        self.caller.require_role(ADMIN)
        by = self.caller.user_id
        user = registration.create_account(
            self.store.session, self.auth, self.events, data, data["roles"], data["status"], True, created_by=by
        )
        return full_profile(user)

    @rpc
    @accepts(contracts.UserChanges, changes="changes")
    def update_user(self, user_id, changes):
        self.caller.require_role(ADMIN)
        user = administration.update_user(self.store.session, self.events, user_id, changes, self.caller.user_id)
        self.store.commit()
        return full_profile(user)

    @rpc
    def delete_user(self, user_id):
        self.caller.require_role(ADMIN)
        administration.delete_user(self.store.session, self.auth, self.events, user_id, self.caller.user_id)
        self.store.commit()
        return {"deleted": True, "user_id": str(user_id)}

    @rpc
    def get_roles(self, user_id):
        user = accounts.get_user(self.store.session, user_id)
        return {"user_id": str(user.id), "roles": user.roles}

    @rpc
    @accepts(contracts.RoleSetting)
    def set_roles(self, user_id, roles):
        self.caller.require_role(ADMIN)
        user, roles = administration.set_roles(self.store.session, self.events, user_id, roles, self.caller.user_id)
        self.store.commit()
        return {"user_id": str(user.id), "roles": roles}

    # -- relationships ---------------------------------------------------------

    @rpc
    def follow(self, user_id):
        return self._set_following(user_id, relationships.follow, events.USER_FOLLOWED, following=True)

    @rpc
    def unfollow(self, user_id):
        return self._set_following(user_id, relationships.unfollow, events.USER_UNFOLLOWED, following=False)

    def _set_following(self, user_id, change, event_type, following):
        me, other = self._me(), accounts.get_user(self.store.session, user_id)
        if change(self.store.session, me.id, other.id):  # following twice, or unfollowing a stranger: silent
            # The follower's name travels with the event: notifications writes "<name> now follows you" from it.
            self.events(event_type, user_id=me.id, followee_id=str(other.id), follower_name=me.name)
        self.store.commit()
        return {"following": following, "user_id": str(other.id)}

    @rpc
    @accepts(contracts.FollowPage)
    def list_followers(self, user_id, page, page_size):
        return self._follow_page(relationships.followers, user_id, page, page_size)

    @rpc
    @accepts(contracts.FollowPage)
    def list_following(self, user_id, page, page_size):
        return self._follow_page(relationships.following, user_id, page, page_size)

    def _follow_page(self, lister, user_id, page, page_size):
        self.caller.require_user()
        user = accounts.get_user(self.store.session, user_id)
        users, total = lister(self.store.session, user.id, page, page_size)
        return page_of([public_profile(other) for other in users], total, page, page_size)

    # -- admin dashboard ---------------------------------------------------------

    @rpc
    def stats(self):
        self.caller.require_role(ADMIN)
        by_status = self.store.counts.by_status()
        return {
            "users": sum(by_status.values()),
            "by_status": by_status,
            "by_role": self.store.counts.by_role(),
            "generated_at": isoformat(utcnow()),
        }
