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
