import pytest

from common.exceptions import ValidationError
from common.validation import reject_mongo_operators


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
