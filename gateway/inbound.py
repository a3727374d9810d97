"""Reading what a client sent: correlation id, bearer token, JSON body, query string."""

import base64
import json
import re
import uuid

from common.exceptions import PayloadTooLarge, Unauthorized, ValidationError
from common.validation import too_deep

REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id_of(request):
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


def bearer_token_of(request, allow_query=False):
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <access token>'")
        return token.strip()
    if allow_query and request.args.get("token"):
        return request.args["token"]
    return None


def raw_body_of(request, max_bytes):
    """The body's bytes; 413 over ``max_bytes``, whether or not the client said its length."""
    length = request.content_length
    if length is not None and length > max_bytes:
        raise PayloadTooLarge(f"The request body is over {max_bytes} bytes", {"max_bytes": max_bytes})
    if length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # werkzeug's stream is empty without a Content-Length; the server's input decodes chunks.
        raw = request.environ["wsgi.input"].read(max_bytes + 1)
    else:
        raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"The request body is over {max_bytes} bytes", {"max_bytes": max_bytes})
    return raw


def upload_of(request, max_bytes):
    """A raw upload as RPC arguments (bytes cross RPC as base64 in JSON)."""
    raw = raw_body_of(request, max_bytes)
    if not raw:
        raise ValidationError("The upload is empty", {"body": ["empty"]})
    return {
        "body_base64": base64.b64encode(raw).decode("ascii"),
        "content_type": request.headers.get("Content-Type", "application/octet-stream"),
    }


def json_body_of(request, max_bytes):
    """The body as a JSON object ({} when empty); 413 over ``max_bytes``, 400 when not JSON."""
    raw = raw_body_of(request, max_bytes)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise too_deep() from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("The request body is not valid JSON", {"body": ["malformed JSON"]}) from None
    if not isinstance(body, dict):
        raise ValidationError("The request body must be a JSON object", {"body": ["must be an object"]})
    return body


def _refuse_constant(name):
    """Python's JSON reader takes NaN and Infinity, which JSON itself does not have."""
    raise ValueError(f"{name} is not JSON")


def query_of(request, drop=()):
    return {key: value for key, value in request.args.items() if key not in drop}


def wants_csv(request):
    """The client prefers CSV to JSON (``Accept: text/csv``); ``*/*`` or no Accept means JSON."""
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"
