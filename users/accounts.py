"""Creating, changing and removing user profiles and their roles."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from common.exceptions import Conflict, NotFound, ValidationError
from common.ids import parse_uuid
from common.roles import ADMIN, normalize_roles
from users.contracts import ACTIVE, PENDING
from users.models import User, UserRole

PROFILE_FIELDS = ("name", "bio", "avatar_url", "timezone", "locale")


def get_user(session, user_id, for_update=False):
    """The account of ``user_id`` (``for_update``: its row locked) or a 404 (a malformed id too)."""
    found = session.get(User, parse_uuid(user_id), with_for_update=True if for_update else None)
    if found is None:
        raise NotFound("No such user")
    return found


def get_many(session, user_ids):
    """``{given id: user}`` for the ids that name an account; malformed and unknown ids are left out."""
    parsed = {}
    for given in user_ids:
        try:
            parsed[str(given)] = parse_uuid(given)
        except NotFound:
            continue
    if not parsed:
        return {}
    found = {user.id: user for user in session.scalars(select(User).where(User.id.in_(set(parsed.values()))))}
    return {given: found[user_id] for given, user_id in parsed.items() if user_id in found}


def find_by_email(session, email):
    return session.scalars(select(User).where(User.email == email.strip().lower())).first()


EMAIL_TAKEN = "email_taken"
USERNAME_TAKEN = "username_taken"


def find_taken(session, email, username=None):
    """``(reason, user)`` when a new account could not have ``email`` (``EMAIL_TAKEN``, its holder) or
    ``username`` (``USERNAME_TAKEN``, its holder); ``None`` when both are free."""
    user = find_by_email(session, email)
    if user is not None:
        return EMAIL_TAKEN, user
    if username:
        user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
        if user is not None:
            return USERNAME_TAKEN, user
    return None


def add_user(session, email, name, username=None, roles=("learner",), status=ACTIVE, provider="local", **profile):
    """Insert a profile; the unique email/username constraints settle concurrent duplicates (409)."""
    email = email.strip().lower()
    user = User(
        email=email,
        username=None if username is None else username.lower(),
        name=name or (username or email.split("@")[0]),
        provider=provider,
        status=status,
        **{key: value for key, value in profile.items() if key in PROFILE_FIELDS},
    )
    user.role_rows = [UserRole(role=role) for role in normalize_roles(roles)]
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("An account with this email or username already exists") from None
    return user


def update_profile(user, changes):
    for key, value in changes.items():
        if key in PROFILE_FIELDS or key == "status":
            setattr(user, key, value)
    return user


def count_admins(session):
    return session.scalar(select(func.count()).select_from(UserRole).where(UserRole.role == ADMIN))


def ensure_not_last_admin(session, user):
    if ADMIN in user.roles and count_admins(session) <= 1:
        raise Conflict("The platform's last admin cannot lose the admin role or be removed")


def lock_admin_roles(session):
    """Lock the admin role rows: two concurrent demotions cannot both find another admin left."""
    session.scalars(select(UserRole).where(UserRole.role == ADMIN).with_for_update()).all()


def remove(session, user):
    session.delete(user)
    session.flush()


def set_roles(session, user, roles):
    roles = normalize_roles(roles)
    if ADMIN not in roles:
        ensure_not_last_admin(session, user)
    user.role_rows = [row for row in user.role_rows if row.role in roles] + [
        UserRole(role=role) for role in roles if role not in user.roles
    ]
    return roles


def check_self_registration_role(role):
    roles = normalize_roles([role])
    if roles != ["learner"]:
        raise ValidationError(
            "Self-registration creates learners; an admin grants other roles", {"role": ["must be learner"]}
        )
    return roles


LINK_REFUSED = (
    "An account with this email already exists; the provider has not verified the email, so it cannot be linked."
    " Sign in with your password, or verify the email at the provider first"
)
CREATE_REFUSED = (
    "The provider has not verified this email, so no account is made with it."
    " Verify the email at the provider, then sign in again"
)


def _by_provider_identity(session, provider, provider_id):
    return session.scalars(select(User).where(User.provider == provider, User.provider_id == provider_id)).first()


def find_or_create_external(session, provider, provider_id, email, email_verified, name):
    """``(user, outcome)`` for an outside identity: "found" by provider and provider_id, "linked" to the
    account holding a provider-verified email, or "created" (active, with provider and provider_id set).

    Only a provider-verified email links to an account or makes one (409 otherwise): an account made from an
    unverified email would carry an address nobody proved, and a later verified sign-in of the real owner,
    at any provider, would be linked into it while the first person can still sign in to it.
    A "linked" account may still be pending (registered, never confirmed): auth removes its unconfirmed
    password, then confirms it (``confirm_external_email``)."""
    user = _by_provider_identity(session, provider, provider_id)
    if user is not None:
        return user, "found"
    user = find_by_email(session, email)
    if user is not None:
        if not email_verified:
            raise Conflict(LINK_REFUSED)
        return user, "linked"
    if not email_verified:
        raise Conflict(CREATE_REFUSED)
    try:
        user = add_user(session, email, name, roles=("learner",), status=ACTIVE, provider=provider)
        user.provider_id = provider_id
        session.flush()
    except (Conflict, IntegrityError):
        # The same identity's concurrent first sign-in created it (the unique constraints settled it).
        session.rollback()
        user = _by_provider_identity(session, provider, provider_id)
        if user is None:
            raise Conflict("An account with this email already exists") from None
        return user, "found"
    return user, "created"


def confirm_external_email(session, user_id, email):
    """``(user, confirmed)``: a pending account whose email an identity provider verified becomes active.

    The row lock serializes concurrent sign-ins (and a concurrent code confirmation): exactly one of them
    finds the account pending and confirms it. An account that is not pending (active, or disabled meanwhile)
    or whose email is not ``email`` is left as it is."""
    user = get_user(session, user_id, for_update=True)
    if user.status != PENDING or user.email != email.strip().lower():
        return user, False
    user.status = ACTIVE
    return user, True
