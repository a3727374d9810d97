import io

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from common.exceptions import PayloadTooLarge, Unauthorized, ValidationError
from gateway.inbound import bearer_token_of, json_body_of, request_id_of


def request(body=b"", headers=None, query=None):
    builder = EnvironBuilder(
        method="POST", path="/x", input_stream=io.BytesIO(body), headers=headers or {}, query_string=query
    )
    if body:
        builder.content_length = len(body)
    return Request(builder.get_environ())


def test_json_bodies():
    assert json_body_of(request(b'{"a": 1}'), 100) == {"a": 1}
    assert json_body_of(request(b""), 100) == {}
    for bad in (b"{", b"[1]", b'"text"', b"\xff\xfe"):
        with pytest.raises(ValidationError):
            json_body_of(request(bad), 100)
    with pytest.raises(PayloadTooLarge):
        json_body_of(request(b'{"a": "' + b"x" * 200 + b'"}'), 100)


def test_bearer_tokens():
    assert bearer_token_of(request(headers={"Authorization": "Bearer abc"})) == "abc"
    assert bearer_token_of(request()) is None
    assert bearer_token_of(request(query="token=q")) is None
    assert bearer_token_of(request(query="token=q"), allow_query=True) == "q"
    with pytest.raises(Unauthorized):
        bearer_token_of(request(headers={"Authorization": "Basic abc"}))


def test_request_ids():
    assert request_id_of(request(headers={"X-Request-ID": "abc-123"})) == "abc-123"
    generated = request_id_of(request(headers={"X-Request-ID": "x" * 200}))
    assert generated != "x" * 200 and len(generated) == 32


def test_json_the_parser_cannot_take_or_that_json_does_not_have_is_a_validation_error():
    deep = b"[" * 100_000 + b"]" * 100_000
    for bad in (b'{"a": ' + deep + b"}", b'{"a": NaN}', b'{"a": -Infinity}'):
        with pytest.raises(ValidationError):
            json_body_of(request(bad), 1_000_000)
