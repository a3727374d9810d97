import marshmallow
import pytest

from common.exceptions import ValidationError
from common.validation import MAX_DEPTH, check_plain_input, load, reject_mongo_operators


@pytest.mark.parametrize(
    "value",
    [{"$gt": ""}, {"title": {"$ne": None}}, {"a.b": 1}, {"tags": [{"$where": "1"}]}, {"x\x00": 1}],
)
def test_operator_keys_are_refused_at_any_depth(value):
    with pytest.raises(ValidationError):
        reject_mongo_operators(value)


def test_plain_data_passes_unchanged():
    data = {"title": "$5 course", "tags": ["a.b", "$x"], "nested": {"ok": [1, {"fine": True}]}}
    assert reject_mongo_operators(data) is data


def nested(depth):
    value = "leaf"
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        {"a": "x\x00y"},
        {"a": ["ok", {"b": "\ud800"}]},
        {"k\x00": 1},
        {"n": 2**63},
        {"n": -(2**63) - 1},
        {"n": float("inf")},
        {"n": [float("nan")]},
        {"deep": nested(MAX_DEPTH)},
        nested(100_000),
    ],
)
def test_what_no_store_can_keep_is_refused_before_the_schema(value):
    with pytest.raises(ValidationError):
        check_plain_input(value)


def test_plain_input_at_the_limits_passes():
    value = {"a": nested(MAX_DEPTH - 1), "n": [2**63 - 1, -(2**63), 1.5e308, True, None], "t": "naïve ☃ \U0001f600"}
    assert check_plain_input(value) is value


def test_load_checks_before_the_schema():
    schema = marshmallow.Schema.from_dict({"name": marshmallow.fields.String()})()
    assert load(schema, {"name": "Ada"}) == {"name": "Ada"}
    with pytest.raises(ValidationError) as error:
        load(schema, {"name": "A\x00da"})
    assert "NUL" in error.value.message
