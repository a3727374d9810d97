"""Loading input with marshmallow and turning its errors into ours."""

import marshmallow

from common.exceptions import ValidationError


def load(schema, data, **kwargs):
    if data is None:
        data = {}
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
