"""What a new password must be: long enough, not common, not the account's own email or username.

Every place a password is chosen applies it: registration and signup (through auth's
``create_identity``), admin creation, change, reset and admin set. It refuses with a
400 that says why. The common passwords are a file shipped with the service
(``common_passwords.txt``, its origin in its header).
"""

import string
from functools import lru_cache
from pathlib import Path

from auth.contracts import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from common.exceptions import ValidationError

MIN_LENGTH = PASSWORD_MIN_LENGTH
MAX_LENGTH = PASSWORD_MAX_LENGTH
MIN_DISTINCT_CHARACTERS = 4
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")

# Digits, punctuation and spaces added around a word do not make it a different password ("password1!").
_DECORATION = string.digits + string.punctuation + " "


@lru_cache(maxsize=1)
def common_passwords():
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _core(text):
    return text.strip(_DECORATION)


def _personal_words(names):
    """The account's email, the part of it before the @, and its username, in lowercase."""
    words = set()
    for name in names:
        if not name:
            continue
        name = str(name).strip().lower()
        words.add(name)
        if "@" in name:
            words.add(name.rsplit("@", 1)[0])
    return {word for word in words if word}


def problems(password, names=()):
    """Why ``password`` is refused (an empty list when it is acceptable). ``names``: the email and the username
    of the account it is for (or the identifier typed)."""
    found = []
    if len(password) < MIN_LENGTH:
        found.append(f"must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        found.append(f"must be at most {MAX_LENGTH} characters long")
    lowered = password.lower()
    if len(set(lowered)) < MIN_DISTINCT_CHARACTERS:
        found.append(f"must have at least {MIN_DISTINCT_CHARACTERS} different characters")
    common = common_passwords()
    if lowered in common or _core(lowered) in common:
        found.append("is one of the most common passwords")
    words = _personal_words(names)
    if lowered in words or _core(lowered) in words:
        found.append("must not be your email or username")
    return found


def check(password, names=(), field="password"):
    """Raise a 400 naming every problem of ``password``; ``field`` is the name the client sent it under."""
    found = problems(password, names)
    if found:
        reasons = [f"The password {reason}" for reason in found]
        raise ValidationError(reasons[0], {"fields": {field: reasons}})  # the shape of every field error


def screen(passwords, password, email, username=None):
    """A registration that makes no account (its email or username is taken) refuses the password as one that
    makes an account would, and hashes it as it would be hashed (the hash is thrown away): the answer and its
    time are the same."""
    check(password, (email, username))
    passwords.hash(password)
