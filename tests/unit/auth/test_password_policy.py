"""The password policy, without Nameko: length, the common-password list, the account's own names."""

import pytest

from auth import password_policy
from bootstrap import accounts_to_seed
from common.config import load_config
from common.exceptions import ValidationError


def test_the_shipped_list_holds_ten_thousand_common_passwords():
    common = password_policy.common_passwords()
    assert len(common) == 10_000
    assert {"password", "password1", "123456", "qwertyuiop"} <= common


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password1", "at least 10 characters"),
        ("Password1234", "most common"),  # "password1234" is not in the list, but "password" with digits is
        ("qwertyuiop", "most common"),
        ("PASSWORD-123!", "most common"),
        ("aaaaabbbbb", "different characters"),
        ("dana@example.com", "email or username"),
        ("DANA@EXAMPLE.COM", "email or username"),
        ("dana@example.com1!", "email or username"),
        ("dana-smith.1", "email or username"),
        ("Dana-Smith", "email or username"),
        ("x" * 129, "at most 128"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    problems = password_policy.problems(password, ("dana@example.com", "dana-smith"))
    assert any(reason in problem for problem in problems), problems
    if password.lower().startswith("dana@"):
        assert any("email or username" in problem for problem in problems)
    # The local part of the email counts too.
    assert password_policy.problems("dana.smith.1", ("dana.smith@example.com", None))


def test_check_raises_a_400_naming_the_field():
    with pytest.raises(ValidationError) as refused:
        password_policy.check("password1", field="new_password")
    assert refused.value.status == 400
    assert "at least 10 characters" in refused.value.message
    assert refused.value.details["fields"]["new_password"] == [
        "The password must be at least 10 characters long",
        "The password is one of the most common passwords",
    ]


def test_good_passwords_pass_the_demo_ones_included():
    for email, username, _name, _roles, password in accounts_to_seed(load_config(), demo=True):
        assert password_policy.problems(password, (email, username)) == []
    assert password_policy.problems("correct horse battery staple", ("dana@example.com", "dana")) == []
    # A username may be part of a longer password, just not the password with a number stuck on.
    assert password_policy.problems("learner-demo-1", ("learner@example.com", "learner")) == []
