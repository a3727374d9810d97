"""What an edit changed, as its event carries it for the audit trail: ``{field: {"old": ..., "new": ...}}``.

Bounded, so an event stays small: a long text (a lesson's content, a description), a long list, a nested
document or anything that is not plain JSON is recorded as ``{"changed": true}`` (that it changed, not how),
and so is a field named ``opaque`` by the caller (questions, say). Fields whose value did not change are left
out; no change at all is ``{}``.
"""

MAX_TEXT = 200  # characters of a string kept as it is
MAX_ITEMS = 20  # items of a list of scalars kept as it is
CHANGED = {"changed": True}


def _small(value):
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_TEXT
    if isinstance(value, (list, tuple)):
        return len(value) <= MAX_ITEMS and all(
            item is None or isinstance(item, (bool, int, float)) or (isinstance(item, str) and len(item) <= MAX_TEXT)
            for item in value
        )
    return False


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


def changes_between(before, after, fields=None, opaque=()):
    """``{field: {"old", "new"}}`` for each of ``fields`` (default: every key of either) whose value differs
    between the mappings ``before`` and ``after``; ``{"changed": true}`` instead for a big or opaque one."""
    names = fields if fields is not None else sorted(set(before) | set(after))
    found = {}
    for name in names:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in opaque or not (_small(old) and _small(new)):
            found[name] = dict(CHANGED)
        else:
            found[name] = {"old": _plain(old), "new": _plain(new)}
    return found
