"""A user's preferences: defaults overlaid with what they chose."""

import json

from users.contracts import DEFAULT_PREFERENCES
from users.models import Preferences


def read(session, user_id):
    row = session.get(Preferences, user_id)
    stored = {} if row is None else json.loads(row.data)
    return {**DEFAULT_PREFERENCES, **stored}


def merge(session, user_id, changes):
    row = session.get(Preferences, user_id)
    if row is None:
        row = Preferences(user_id=user_id, data="{}")
        session.add(row)
    stored = json.loads(row.data)
    stored.update(changes)
    row.data = json.dumps(stored)
    return {**DEFAULT_PREFERENCES, **stored}


def copy_to_profile(user, changes, merged):
    """The preferences other services act on live on the profile too: the time zone and language in which
    notifications write times (``timezone``, ``locale``) and who may see the profile (``profile_visibility``,
    which searches filter on in SQL)."""
    user.profile_visibility = merged["profile_visibility"]
    if "timezone" in changes:
        user.timezone = changes["timezone"]
    if "language" in changes:
        user.locale = changes["language"]


def with_profile(merged, user):
    """The preferences as they act: a time zone or language set on the profile (``PUT /users/profile``) is the
    one in force, so both places always say the same."""
    return {**merged, "timezone": user.timezone or merged["timezone"], "language": user.locale or merged["language"]}
