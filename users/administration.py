"""What admins do to accounts: change, disable, delete, and set roles. A change that takes access away carries
``revoked_before`` in its event, so the gateway refuses the account's older tokens at once."""

from common import events
from common.changes import changes_between
from common.revocations import revoked_before_now
from users import accounts
from users.contracts import ACTIVE


def update_user(session, publish, user_id, changes, by):
    user = accounts.get_user(session, user_id, for_update=True)
    if changes.get("status", ACTIVE) != ACTIVE:
        accounts.ensure_not_last_admin(session, user)
    previous_status = user.status
    before = {key: getattr(user, key, None) for key in changes}
    accounts.update_profile(user, changes)
    after = {key: getattr(user, key, None) for key in changes}
    # Old and new values for the audit trail (a long bio only as changed: common/changes.py).
    found = changes_between(before, after, sorted(changes))
    publish(events.USER_UPDATED, user_id=user.id, fields=sorted(changes), by=by, changes=found)
    if previous_status == ACTIVE and user.status != ACTIVE:
        # The account's access tokens are refused from now on (the gateway hears this).
        publish(
            events.USER_DISABLED,
            user_id=user.id,
            status=user.status,
            previous_status=previous_status,
            by=by,
            **revoked_before_now(),
        )
    return user


def delete_user(session, auth, publish, user_id, by):
    """The profile goes, then auth's identity (``auth``: its RPC proxy); the event is saved, not committed."""
    user = accounts.get_user(session, user_id, for_update=True)
    accounts.ensure_not_last_admin(session, user)
    email, deleted_id = user.email, user.id  # the canonical id: the tokens' ``sub``, whatever the path said
    accounts.remove(session, user)
    auth.delete_identity(str(deleted_id))
    publish(events.USER_DELETED, user_id=deleted_id, email=email, by=by, **revoked_before_now())


def set_roles(session, publish, user_id, roles, by):
    accounts.lock_admin_roles(session)
    user = accounts.get_user(session, user_id, for_update=True)
    before = user.roles
    roles = accounts.set_roles(session, user, roles)
    publish(
        events.USER_ROLES_CHANGED,
        user_id=user.id,
        before=before,
        after=roles,
        by=by,
        **revoked_before_now(),  # the gateway refuses the older tokens when a role was taken away
    )
    return user, roles
