"""Page parameters and the paginated list shape of the platform."""

from marshmallow import Schema, fields, validate

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


def offset_of(page, page_size):
    return (page - 1) * page_size


def page_of_list(rows, page, page_size):
    """One page of a list already in memory (a course's lessons, a bounded range of days)."""
    rows = list(rows)
    start = offset_of(page, page_size)
    return page_of(rows[start : start + page_size], len(rows), page, page_size)


def page_of(items, total, page, page_size):
    return {"items": list(items), "total": total, "page": page, "page_size": page_size}
