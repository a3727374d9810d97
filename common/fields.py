"""Field types that several services' contracts share: ids, instants, times of day, dates and time zones.

Ids, instants and dates stay text after loading where a contract says so
(``UuidString``, ``Instant``, ``Day``, ``WallTime``): what the gateway
validates crosses RPC as JSON unchanged.
"""

from datetime import date, datetime, time
from functools import cache
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate

UUID_TEXT = validate.Regexp(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$", error="Not a valid UUID"
)


@cache
def _known_zones():
    return frozenset(available_timezones())


def check_zone(value):
    """An IANA time zone name (``Europe/Paris``).

    Checked against the list of zones, not by opening one: ZoneInfo reads a file named by the value,
    so a folder (``America``) or an over-long name fails with OSError rather than "not found".
    """
    if value not in _known_zones():
        raise ValidationError("Not a known IANA time zone")


def UuidString(**kwargs):
    """A UUID kept as text, so it crosses RPC as JSON."""
    return fields.String(validate=UUID_TEXT, **kwargs)


def _parsed_by(parser, message):
    def check(value):
        try:
            parsed = parser(value)
        except ValueError:
            raise ValidationError(message) from None
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise ValidationError("Give a time zone offset (for example Z)")

    return check


def Instant(**kwargs):
    """An ISO 8601 date-time with an offset, kept as text."""
    return fields.String(
        validate=_parsed_by(lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")), "An ISO 8601 date-time"),
        **kwargs,
    )


def WallTime(**kwargs):
    """A time of day, HH:MM, kept as text."""
    return fields.String(validate=_parsed_by(time.fromisoformat, "A time of day, HH:MM"), **kwargs)


def Day(**kwargs):
    """A date, YYYY-MM-DD, kept as text."""
    return fields.String(validate=_parsed_by(date.fromisoformat, "A date, YYYY-MM-DD"), **kwargs)


class Record(Schema):
    """An answer's record: what has an id."""

    id = fields.String(required=True)


class Timestamps(Record):
    """A record that keeps when it was made and last changed."""

    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
