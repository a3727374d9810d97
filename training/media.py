"""Course media: what may be uploaded, how it is named in storage, who may see it, and the signed links of
embedded mode. Plain functions, no Nameko; the storage backends are in ``media_storage``.

A media item is a document of the ``media`` collection: ``_id`` (a UUID as text), ``owner_id``,
``filename``, ``content_type``, ``size`` (bytes, as declared and then as stored), ``storage_key``,
``status`` (``pending`` until the bytes are stored, then ``uploaded``), ``public`` (the owner's choice:
any signed-in user may then get a URL), ``created_at`` and ``uploaded_at``.
"""

import base64
import binascii
import hashlib
import hmac
import re
import uuid
from pathlib import PurePosixPath

from common.clock import isoformat
from common.exceptions import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationError

COLLECTION = "media"

PENDING = "pending"
UPLOADED = "uploaded"

# Images, video, audio and PDF. No SVG or HTML: those can carry scripts and are served back inline.
ALLOWED_CONTENT_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
        "audio/mpeg",
        "audio/mp4",
        "audio/ogg",
        "audio/wav",
        "audio/webm",
        "audio/aac",
        "application/pdf",
    }
)

UPLOAD_PURPOSE = "put"
DOWNLOAD_PURPOSE = "get"

MAX_FILENAME_LENGTH = 120
UNSAFE_FILENAME_CHARS = re.compile(r"[^A-Za-z0-9._ -]+")
TOKEN_FORMAT = re.compile(r"^(\d{1,12})\.([A-Za-z0-9_-]{43})$")


# -- validation ---------------------------------------------------------------


def allowed_content_type(value):
    """The media type of ``value`` (parameters and case dropped) if it is on the allow-list; else 400."""
    media_type = str(value or "").split(";", 1)[0].strip().lower()
    if media_type not in ALLOWED_CONTENT_TYPES:
        raise ValidationError(
            f"Content type {media_type or '(none)'!r} is not allowed",
            {"content_type": ["must be an image, video, audio or PDF type"], "allowed": sorted(ALLOWED_CONTENT_TYPES)},
        )
    return media_type


def check_size(size, max_bytes):
    """``size`` must be a positive byte count within ``max_bytes`` (413 over it)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValidationError("The size must be a positive number of bytes", {"size": ["must be at least 1"]})
    if size > max_bytes:
        raise PayloadTooLarge(f"Media may be at most {max_bytes} bytes", {"max_bytes": max_bytes, "size": size})
    return size


def safe_filename(name):
    """A file name safe in a storage key and a Content-Disposition header: no directories, quotes or controls."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    cleaned = UNSAFE_FILENAME_CHARS.sub("_", base).strip(" .")
    if not cleaned:
        cleaned = "file"
    if len(cleaned) > MAX_FILENAME_LENGTH:
        stem, dot, extension = cleaned.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            cleaned = stem[: MAX_FILENAME_LENGTH - len(extension) - 1] + "." + extension
        else:
            cleaned = cleaned[:MAX_FILENAME_LENGTH]
    return cleaned


def storage_key(owner_id, media_id, filename):
    """``media/<owner>/<media id>/<file name>``: unique per item, readable in a bucket listing."""
    return f"media/{owner_id}/{media_id}/{safe_filename(filename)}"


# -- the document -------------------------------------------------------------


def new_media(owner_id, filename, content_type, size, now, public=False):
    media_id = str(uuid.uuid4())
    name = safe_filename(filename)
    return {
        "_id": media_id,
        "owner_id": str(owner_id),
        "filename": name,
        "content_type": content_type,
        "size": size,
        "storage_key": storage_key(owner_id, media_id, name),
        "status": PENDING,
        "public": bool(public),
        "created_at": now,
        "uploaded_at": None,
    }


def view(doc):
    return {
        "id": doc["_id"],
        "owner_id": doc["owner_id"],
        "filename": doc["filename"],
        "content_type": doc["content_type"],
        "size": doc["size"],
        "storage_key": doc["storage_key"],
        "status": doc["status"],
        "public": doc["public"],
        "created_at": isoformat(doc["created_at"]),
        "uploaded_at": isoformat(doc.get("uploaded_at")),
    }


def parse_media_id(value):
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise NotFound("No such media") from None


def find_media(collection, media_id):
    doc = collection.find_one({"_id": parse_media_id(media_id)})
    if doc is None:
        raise NotFound("No such media")
    return doc


def mark_uploaded(collection, media_id, size, now, only_once=False):
    """Pending -> uploaded; the filter on status makes a second, concurrent completion change nothing
    (a no-op, or a 409 with ``only_once``)."""
    before = collection.find_one_and_update(
        {"_id": media_id, "status": PENDING},
        {"$set": {"status": UPLOADED, "size": size, "uploaded_at": now}},
    )
    if before is None and only_once:
        raise Conflict("The media has already been uploaded")
    return before


def file_of(doc, data):
    """The RPC answer the gateway sends as a file (inline: the allow-list holds no active content)."""
    return {
        "content_type": doc["content_type"],
        "filename": doc["filename"],
        "attachment": False,
        "body_base64": base64.b64encode(data).decode("ascii"),
    }


def ensure_indexes(database):
    database[COLLECTION].create_index([("owner_id", 1), ("created_at", -1)])


# -- who may do what ----------------------------------------------------------


def can_manage(doc, caller):
    """The uploader or an admin (internal calls are trusted as admins)."""
    return caller.is_admin or doc["owner_id"] == caller.user_id


def require_manage(doc, caller):
    if not can_manage(doc, caller):
        raise Forbidden("Only the uploader or an admin may do this")


def require_view(doc, caller):
    """The uploader and admins always; any signed-in user once the owner marked the item public."""
    if can_manage(doc, caller):
        return
    if doc["public"] and caller.user_id is not None:
        return
    raise Forbidden("This media is not shared with you")


def require_uploaded(doc):
    if doc["status"] != UPLOADED:
        raise Conflict("The media has not been uploaded yet", {"status": doc["status"]})


# -- signed links (embedded mode) ---------------------------------------------


def expiry_of(now_epoch, ttl_seconds):
    """The whole second at which a link made at ``now_epoch`` stops working."""
    return int(now_epoch) + int(ttl_seconds)


def _mac(secret, purpose, media_id, expires):
    message = f"{purpose}:{media_id}:{expires}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign_token(secret, purpose, media_id, expires):
    """``<expires>.<HMAC-SHA256 of purpose, media id and expiry>``: a link for one item, one use kind, one period."""
    return f"{int(expires)}.{_mac(secret, purpose, media_id, int(expires))}"


def verify_token(secret, purpose, media_id, token, now_epoch):
    """Refuse (403) a token that is malformed, made for another item or purpose, or past its expiry."""
    match = TOKEN_FORMAT.match(str(token or ""))
    if match is None:
        raise Forbidden("The media link is not valid")
    expires = int(match.group(1))
    if not hmac.compare_digest(match.group(2), _mac(secret, purpose, media_id, expires)):
        raise Forbidden("The media link is not valid")
    if now_epoch >= expires:
        raise Forbidden("The media link has expired", {"expired_at": expires})
    return expires


def require_local_storage(kind):
    """The gateway's upload and download routes serve local storage only; with S3 the bytes never pass here."""
    if kind != "local":
        raise NotFound("Media are served from object storage; ask for a URL instead")


def decode_upload(doc, body_base64, content_type):
    """The bytes of a local upload: the declared content type and exactly the declared size (as S3's policy)."""
    if doc["status"] != PENDING:
        raise Conflict("The media has already been uploaded")
    check_declared_type(doc, content_type)
    try:
        data = base64.b64decode(body_base64 or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValidationError("The upload is not valid base64", {"body": ["not base64"]}) from None
    check_declared_size(doc, len(data))
    return data


def check_stored(doc, stored):
    """What object storage holds for a pending item matches what was declared (the presigned policy binds it;
    a store that ignores policy conditions is caught here): nothing yet is 409, and the rest is answered as
    the gateway's own upload route answers."""
    if stored is None:
        raise Conflict("Nothing has been uploaded for this media yet", {"status": doc["status"]})
    check_declared_size(doc, stored["size"])
    if stored.get("content_type"):  # a store may not say; the policy bound it then
        check_declared_type(doc, stored["content_type"])
    return stored


def check_declared_size(doc, size):
    """More bytes than declared is 413, fewer is 400."""
    if size > doc["size"]:
        raise PayloadTooLarge(f"The upload is over the declared {doc['size']} bytes", {"max_bytes": doc["size"]})
    if size != doc["size"]:
        raise ValidationError(f"The upload must be the declared {doc['size']} bytes", {"size": [size]})


def check_declared_type(doc, content_type):
    try:
        given = allowed_content_type(content_type)
    except ValidationError:
        given = None
    if given != doc["content_type"]:
        raise ValidationError(
            "The upload's Content-Type is not the one declared", {"content_type": [f"must be {doc['content_type']}"]}
        )
