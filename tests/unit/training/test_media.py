"""Media rules without Nameko: content types, sizes, names, keys, access, and the signed links of local mode."""

import base64

import pytest

from common.context import CallerContext
from common.exceptions import Conflict, Forbidden, NotFound, PayloadTooLarge, ValidationError
from tests.support.callers import WorkerCtx
from tests.support.callers import from_gateway as caller  # as the gateway does: not an internal call
from training import media

SECRET = b"unit-test-secret"
MEDIA_ID = "0b6f7c36-2b2f-4f39-9a53-1a1f5e0a7f11"


def doc(**overrides):
    item = media.new_media("owner-1", "Slides.pdf", "application/pdf", 10, now=None)
    item.update(overrides)
    return item


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("image/png", "image/png"),
        ("IMAGE/JPEG", "image/jpeg"),
        ("video/mp4; codecs=avc1", "video/mp4"),
        ("audio/mpeg", "audio/mpeg"),
        (" application/pdf ", "application/pdf"),
    ],
)
def test_allowed_content_types_are_normalised(given, expected):
    assert media.allowed_content_type(given) == expected


@pytest.mark.parametrize(
    "given", ["text/html", "image/svg+xml", "application/x-msdownload", "application/octet-stream", "", None, "pdf"]
)
def test_other_content_types_are_refused(given):
    with pytest.raises(ValidationError) as raised:
        media.allowed_content_type(given)
    assert "application/pdf" in raised.value.details["allowed"]


def test_size_is_positive_and_within_the_limit():
    assert media.check_size(100, 100) == 100
    with pytest.raises(PayloadTooLarge) as raised:
        media.check_size(101, 100)
    assert raised.value.details["max_bytes"] == 100
    for bad in (0, -1, True, "5", 1.5, None):
        with pytest.raises(ValidationError):
            media.check_size(bad, 100)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("lecture 1.mp4", "lecture 1.mp4"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\notes.pdf", "notes.pdf"),
        ('a"b\r\nc;.pdf', "a_b_c_.pdf"),
        ("...", "file"),
        ("", "file"),
        (".hidden.png", "hidden.png"),
    ],
)
def test_file_names_are_made_safe_for_keys_and_headers(given, expected):
    assert media.safe_filename(given) == expected


def test_long_file_names_keep_their_extension():
    name = media.safe_filename("x" * 300 + ".webm")
    assert len(name) == media.MAX_FILENAME_LENGTH and name.endswith(".webm")


def test_new_media_is_pending_private_and_keyed_by_owner_and_id():
    item = media.new_media("owner-1", "../My Talk?.mp4", "video/mp4", 42, now=None)
    assert item["status"] == media.PENDING and item["public"] is False
    assert item["filename"] == "My Talk_.mp4"
    assert item["storage_key"] == f"media/owner-1/{item['_id']}/My Talk_.mp4"
    assert media.parse_media_id(item["_id"]) == item["_id"]
    with pytest.raises(NotFound):
        media.parse_media_id("not-a-uuid")


def test_the_uploader_and_admins_manage_others_see_only_public_items():
    item = doc()
    owner, admin, other = caller("owner-1", ["instructor"]), caller("admin-1", ["admin"]), caller("x", ["learner"])
    anonymous = caller(None)
    media.require_manage(item, owner)
    media.require_manage(item, admin)
    media.require_view(item, owner)
    media.require_view(item, admin)
    with pytest.raises(Forbidden):
        media.require_manage(item, other)
    with pytest.raises(Forbidden):
        media.require_view(item, other)
    public = doc(public=True)
    media.require_view(public, other)
    with pytest.raises(Forbidden):
        media.require_manage(public, other)
    with pytest.raises(Forbidden):
        media.require_view(public, anonymous)
    # An internal call (no gateway origin) is trusted.
    media.require_manage(item, CallerContext(WorkerCtx()))


def test_tokens_bind_item_purpose_and_expiry():
    expires = media.expiry_of(1_000_000.7, 600)
    assert expires == 1_000_600
    token = media.sign_token(SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, expires)
    assert token.startswith("1000600.")
    assert media.verify_token(SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, token, 1_000_599.9) == expires
    refusals = [
        (SECRET, media.UPLOAD_PURPOSE, MEDIA_ID, token),  # a download link does not upload
        (SECRET, media.DOWNLOAD_PURPOSE, "11111111-2b2f-4f39-9a53-1a1f5e0a7f11", token),  # another item
        (b"other-secret", media.DOWNLOAD_PURPOSE, MEDIA_ID, token),
        (SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, "1000900." + token.split(".")[1]),  # a later expiry, forged
        (SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, token[:-1] + ("A" if token[-1] != "A" else "B")),
        (SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, ""),
        (SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, None),
        (SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, "garbage"),
    ]
    for secret, purpose, media_id, candidate in refusals:
        with pytest.raises(Forbidden) as raised:
            media.verify_token(secret, purpose, media_id, candidate, 1_000_000)
        assert raised.value.message == "The media link is not valid"


def test_an_expired_token_is_refused():
    token = media.sign_token(SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, 1_000_600)
    for now in (1_000_600, 1_000_601, 2_000_000):
        with pytest.raises(Forbidden) as raised:
            media.verify_token(SECRET, media.DOWNLOAD_PURPOSE, MEDIA_ID, token, now)
        assert raised.value.message == "The media link has expired"


def test_a_local_upload_must_match_what_was_declared():
    item = doc(size=5)
    body = base64.b64encode(b"%PDF-").decode()
    assert media.decode_upload(item, body, "application/pdf") == b"%PDF-"
    assert media.decode_upload(item, body, "Application/PDF; charset=binary") == b"%PDF-"
    with pytest.raises(ValidationError):
        media.decode_upload(item, body, "image/png")
    with pytest.raises(ValidationError):
        media.decode_upload(item, body, None)
    with pytest.raises(PayloadTooLarge):
        media.decode_upload(item, base64.b64encode(b"%PDF-1").decode(), "application/pdf")
    with pytest.raises(ValidationError):
        media.decode_upload(item, base64.b64encode(b"%PDF").decode(), "application/pdf")
    with pytest.raises(ValidationError):
        media.decode_upload(item, "not base64!", "application/pdf")
    with pytest.raises(ValidationError):
        media.decode_upload(item, None, "application/pdf")
    with pytest.raises(Conflict):
        media.decode_upload(doc(size=5, status=media.UPLOADED), body, "application/pdf")


def test_what_object_storage_holds_must_match_what_was_declared():
    item = doc(size=10)
    assert media.check_stored(item, {"size": 10, "content_type": "application/pdf"})
    with pytest.raises(Conflict):
        media.check_stored(item, None)
    assert media.check_stored(item, {"size": 10, "content_type": "Application/PDF; x=y"})
    assert media.check_stored(item, {"size": 10, "content_type": None})  # a store that keeps no type
    with pytest.raises(PayloadTooLarge):
        media.check_stored(item, {"size": 11, "content_type": "application/pdf"})
    with pytest.raises(ValidationError):
        media.check_stored(item, {"size": 9, "content_type": "application/pdf"})
    with pytest.raises(ValidationError):
        media.check_stored(item, {"size": 10, "content_type": "image/png"})
    with pytest.raises(ValidationError):
        media.check_stored(item, {"size": 10, "content_type": "text/html"})


def test_completing_twice_changes_nothing_the_second_time():
    import mongomock

    collection = mongomock.MongoClient().db[media.COLLECTION]
    item = doc()
    collection.insert_one(item)
    assert media.mark_uploaded(collection, item["_id"], 10, "t1") is not None
    assert media.mark_uploaded(collection, item["_id"], 99, "t2") is None
    with pytest.raises(Conflict):
        media.mark_uploaded(collection, item["_id"], 99, "t3", only_once=True)
    stored = collection.find_one({"_id": item["_id"]})
    assert (stored["status"], stored["size"], stored["uploaded_at"]) == (media.UPLOADED, 10, "t1")
