"""Times in a message as its reader reads them: in their time zone, in their language's way, zone named.

An event carries instants in UTC (ISO 8601); a message says "Tuesday, 8 December 2026 19:00 (Asia/Tokyo)"
to a reader in Tokyo who chose British English, "mardi 8 décembre 2026 19:00 (Asia/Tokyo)" in French. The
profile's ``timezone`` and ``locale`` decide; without them, UTC and English.
"""

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time

DEFAULT_ZONE = "UTC"
DEFAULT_LOCALE = "en"


@functools.lru_cache(maxsize=256)
def _locale(tag):
    try:
        return Locale.parse(str(tag).replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LOCALE)


@functools.lru_cache(maxsize=1024)
def _zone(name):
    try:
        return ZoneInfo(str(name)), str(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo(DEFAULT_ZONE), DEFAULT_ZONE


def local_time(instant, zone=None, locale=None):
    """``instant`` (an ISO 8601 text or an aware datetime) written for a reader in ``zone`` and ``locale``;
    a text that is not an instant is returned as it is."""
    if isinstance(instant, str):
        try:
            instant = datetime.fromisoformat(instant.replace("Z", "+00:00"))
        except ValueError:
            return instant
    if not isinstance(instant, datetime):
        return instant
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    tz, zone_name = _zone(zone or DEFAULT_ZONE)
    language = _locale(locale or DEFAULT_LOCALE)
    local = instant.astimezone(tz)
    written = f"{format_date(local, 'full', locale=language)} {format_time(local, 'short', locale=language)}"
    # CLDR puts narrow no-break spaces in some patterns ("7:00 PM"): plain spaces read the same in any mail client.
    return f"{' '.join(written.split())} ({zone_name})"
