"""Loading input with marshmallow and turning its errors into ours.

Before any schema sees it, input passes ``check_plain_input``: what no store
can keep (NUL and unpaired surrogates in text, integers over 64 bits, NaN and
infinities) or what would exhaust the stack (deep nesting) is a 400 here, not
a 500 from PostgreSQL, MongoDB or the JSON encoder later.
"""

import math
import re

import marshmallow

from common.exceptions import ValidationError

MAX_DEPTH = 32  # levels of objects and arrays; the deepest schema needs 4
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def too_deep(where="body"):
    return ValidationError(
        f"The input is nested too deeply (at most {MAX_DEPTH} levels of objects and arrays)",
        {where: [f"nested deeper than {MAX_DEPTH} levels"]},
    )


def check_text(text, where):
    if UNSTORABLE_TEXT.search(text):
        raise ValidationError(
            "Text may not contain NUL characters or unpaired surrogates", {where: ["NUL or unpaired surrogate"]}
        )


def check_plain_input(value, where="body"):
    """Refuse deep nesting, unstorable text, integers over 64 bits and non-finite numbers anywhere in ``value``.

    Iterative, so that the check itself cannot overflow the stack."""
    pending = [(value, where, 0)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, str):
            check_text(item, path)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                raise ValidationError("Integers must fit in 64 bits", {path: ["integer out of range"]})
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValidationError("Numbers must be finite", {path: ["not a finite number"]})
        elif isinstance(item, (dict, list, tuple)):
            if depth >= MAX_DEPTH:
                raise too_deep(where)
            if isinstance(item, dict):
                for key, child in item.items():
                    child_path = f"{path}.{str(key)[:50]}"
                    if isinstance(key, str):
                        check_text(key, path)
                    pending.append((child, child_path, depth + 1))
            else:
                pending.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(item))
    return value


def load(schema, data, **kwargs):
    if data is None:
        data = {}
    check_plain_input(data, "input")
    try:
        return schema.load(data, **kwargs)
    except marshmallow.ValidationError as exc:
        raise ValidationError("The request is not valid", {"fields": exc.normalized_messages()}) from None


def reject_mongo_operators(value, path="body"):
    """Refuse keys that MongoDB would read as operators or paths (``$gt``, ``a.b``), at any depth.

    Stores that put client data into MongoDB documents or queries call this on
    free-form input (schemas already refuse unknown fields elsewhere).
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key:
                raise ValidationError("Field names may not start with '$' or contain '.'", {path: [f"bad key {key!r}"]})
            reject_mongo_operators(item, f"{path}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            reject_mongo_operators(item, f"{path}[{index}]")
    return value
