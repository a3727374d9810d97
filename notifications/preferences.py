"""Per-user choices: for each category, how often each channel carries it.

Stored per user as only what they changed; read as the defaults overlaid with that.
Security messages (codes, resets) always go by email and in-app, at once: they
cannot be switched off or delayed.
"""

from common.exceptions import ValidationError
from notifications.contracts import (  # noqa: F401  (the channels and frequencies, read from here too)
    CATEGORIES,
    CHANNELS,
    DAILY,
    EMAIL,
    FREQUENCIES,
    IMMEDIATELY,
    IN_APP,
    NEVER,
    PUSH,
    SECURITY,
    SMS,
    WEEKLY,
)

DEFAULT_CHANNELS = {EMAIL: IMMEDIATELY, IN_APP: IMMEDIATELY, SMS: NEVER, PUSH: NEVER}
SECURITY_CHANNELS = {EMAIL: IMMEDIATELY, IN_APP: IMMEDIATELY, SMS: NEVER, PUSH: NEVER}


def defaults():
    return {category: dict(DEFAULT_CHANNELS) for category in CATEGORIES}


def effective(stored):
    """The full table for a user from what they stored (``None``: nothing yet)."""
    stored = stored or {}
    table = defaults()
    for category, channels in (stored.get("categories") or {}).items():
        if category in table and category != SECURITY:
            table[category].update({k: v for k, v in channels.items() if k in CHANNELS and v in FREQUENCIES})
    table[SECURITY] = dict(SECURITY_CHANNELS)
    return {"categories": table, "phone": stored.get("phone"), "push_endpoint": stored.get("push_endpoint")}


def check_changes(changes):
    """Refuse what may not be changed; the schema has already checked names and values."""
    for category, channels in (changes.get("categories") or {}).items():
        if category == SECURITY and any(
            channels.get(channel, SECURITY_CHANNELS[channel]) != SECURITY_CHANNELS[channel] for channel in channels
        ):
            raise ValidationError(
                "Security messages cannot be switched off or delayed",
                {"categories": {SECURITY: ["security messages always go by email and in-app, immediately"]}},
            )


def channels_for(table, category, message_is_secret=False):
    """``{channel: frequency}`` this category reaches the user by (never-channels left out)."""
    if category == SECURITY:
        chosen = dict(SECURITY_CHANNELS)
        if message_is_secret:
            # A code in an in-app inbox helps nobody (the user cannot sign in yet) and lingers there.
            chosen[IN_APP] = NEVER
    else:
        chosen = table["categories"].get(category, DEFAULT_CHANNELS)
    wanted = {channel: frequency for channel, frequency in chosen.items() if frequency != NEVER}
    if SMS in wanted and not table.get("phone"):
        del wanted[SMS]
    if PUSH in wanted and not table.get("push_endpoint"):
        del wanted[PUSH]
    return wanted
