import pytest

from users.visibility import FOLLOWERS, PRIVATE, PUBLIC, may_see


@pytest.mark.parametrize(
    ("viewer", "admin", "visibility", "follows", "seen"),
    [
        ("other", False, PUBLIC, False, True),
        (None, False, PUBLIC, False, True),
        ("other", False, PRIVATE, True, False),  # following does not open a private profile
        (None, False, PRIVATE, False, False),
        ("owner", False, PRIVATE, False, True),
        ("other", True, PRIVATE, False, True),
        ("other", False, FOLLOWERS, True, True),
        ("other", False, FOLLOWERS, False, False),
        (None, False, FOLLOWERS, True, False),
    ],
)
def test_who_sees_a_profile(viewer, admin, visibility, follows, seen):
    assert may_see(viewer, admin, "owner", visibility, follows) is seen
