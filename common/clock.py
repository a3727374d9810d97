"""UTC time and its one wire format (ISO 8601 with a Z)."""

from datetime import UTC, datetime


def utcnow():
    return datetime.now(UTC)


def isoformat(moment):
    if moment is None:
        return None
    if moment.tzinfo is None:
        # Naive datetimes in our stores are always UTC (SQLite drops the zone).
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def as_utc(moment):
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
