"""The response envelope around every JSON answer."""

import base64
import json
import unicodedata
from urllib.parse import quote

from werkzeug.wrappers import Response

from common.clock import isoformat, utcnow

JSON = "application/json"


def _encode(body):
    return json.dumps(body, separators=(",", ":"), default=str)


class EncodedJson(str):
    """An answer already encoded as JSON (the read cache keeps answers so): put in the envelope as it is."""


def success(data, status=200, headers=None):
    if isinstance(data, EncodedJson):
        body = f'{{"success":true,"data":{data},"error":null,"timestamp":{_encode(isoformat(utcnow()))}}}'
        return Response(body, status=status, headers=headers, content_type=JSON)
    body = {"success": True, "data": data, "error": None, "timestamp": isoformat(utcnow())}
    return Response(_encode(body), status=status, headers=headers, content_type=JSON)


def failure(error, headers=None):
    """``error`` is a ``DomainError``; only its code, message and details are shown."""
    body = {"success": False, "data": None, "error": error.to_dict(), "timestamp": isoformat(utcnow())}
    return Response(_encode(body), status=error.status, headers=headers, content_type=JSON)


def raw_json(data, status=200, headers=None):
    return Response(_encode(data), status=status, headers=headers, content_type=JSON)


def file_response(file, headers=None):
    """A file an RPC returned as ``{"content_type", "filename", "body_base64"}``."""
    headers = dict(headers or {})
    if file.get("filename"):
        disposition = "attachment" if file.get("attachment", True) else "inline"
        headers["Content-Disposition"] = content_disposition(disposition, file["filename"])
    return Response(base64.b64decode(file["body_base64"]), headers=headers, content_type=file["content_type"])


def content_disposition(disposition, filename):
    """The header with the name, or an ASCII fallback and the exact name as RFC 6266's ``filename*``.

    A name comes from stored data (a course title, say): quotes, backslashes and line breaks in it
    must not break out of the header."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in ascii_name).strip() or "download"
    header = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header
