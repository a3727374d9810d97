"""Coach profiles: finding coaches, and a coach's own profile, made on first change."""

from coaching import places
from coaching.models import CoachProfile
from coaching.views import paged
from common.exceptions import Forbidden
from common.roles import COACH


def _tagged(rows, attribute, wanted):
    if not wanted:
        return rows
    wanted = wanted.lower()
    return [row for row in rows if wanted in {tag.lower() for tag in getattr(row, attribute) or []}]


def search(profiles, expertise, language, page, page_size, view):
    """One page of coaches by name, with an expertise and a language (either case) if asked."""
    # Tags are JSON lists; filtering them in Python keeps SQLite and PostgreSQL alike (coaches are few).
    rows = _tagged(_tagged(profiles.by_name(), "expertise", expertise), "languages", language)
    return paged(rows, page, page_size, view)


def update_own(profiles, user_id, account_of, changes):
    """The caller's profile with ``changes``; made from their account (``account_of(user_id)``) the first time."""
    profile = profiles.find(user_id)
    if profile is None:
        account = account_of(str(user_id))
        if account is None or COACH not in account.get("roles", []):
            raise Forbidden("Only an existing user with the coach role has a coach profile")
        profile = CoachProfile(
            user_id=user_id, name=account.get("name"), expertise=[], languages=[], session_kind=places.ONLINE
        )
        profiles.add(profile)
    for key, value in changes.items():
        setattr(profile, key, value)
    places.check_profile(profile)
    return profile
