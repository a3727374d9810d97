import pytest
from marshmallow import ValidationError

from common.fields import check_zone


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Asia/Tokyo", "America/Argentina/Buenos_Aires"])
def test_known_zones_pass(zone):
    check_zone(zone)


# A folder, a path, a NUL and a name too long for the file system each make ZoneInfo raise something
# other than "not found": each must still be a validation error (a 400), never a 500.
@pytest.mark.parametrize("zone", ["America", "../etc/passwd", "a\x00b", "x" * 300, "", "Mars/Olympus", "UTC/"])
def test_unknown_or_hostile_zones_are_validation_errors(zone):
    with pytest.raises(ValidationError):
        check_zone(zone)
