"""The two media backends: S3 under moto (which checks no signatures, so we read what we signed), CloudFront
signing checked with the public key, and the local filesystem with its HMAC links."""

import base64
import json
from datetime import UTC, datetime
from unittest.mock import Mock
from urllib.parse import parse_qs, urlsplit

import mongomock
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from moto import mock_aws

from common.exceptions import Forbidden, NotFound
from training import media
from training.keys import stored_secret
from training.media_storage import (
    LocalBackend,
    MediaPolicy,
    MediaStorage,
    S3Backend,
    build_backend,
    cloudfront_signer,
    s3_client,
)

BUCKET = "lnd-media-test"
NOW = 1_800_000_000.25
CLOUDFRONT_HASH = hashes.SHA1()  # noqa: S303 (the algorithm CloudFront uses)
POLICY = MediaPolicy(max_bytes=1000, url_ttl=300, upload_ttl=120)


def pdf(size=10, **overrides):
    item = media.new_media("owner-1", "notes.pdf", "application/pdf", size, now=None)
    item.update(overrides)
    return item


@pytest.fixture
def s3(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = s3_client({"S3_REGION": "us-east-1"})  # as the service makes it: SigV4
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_presigned_post_binds_key_content_type_exact_size_and_expiry(s3):
    backend = S3Backend(s3, BUCKET, POLICY, clock=lambda: NOW)
    item = pdf(size=321)
    before = datetime.now(UTC).timestamp()
    target = backend.upload_target(item)
    after = datetime.now(UTC).timestamp()
    assert target["method"] == "POST" and target["max_bytes"] == 321
    assert target["expires_at"] == "2027-01-15T08:02:00.000Z"  # NOW + 120 s, whole seconds
    fields = target["fields"]
    assert fields["key"] == item["storage_key"] and fields["Content-Type"] == "application/pdf"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"Content-Type": "application/pdf"} in conditions
    assert ["content-length-range", 321, 321] in conditions
    assert {"bucket": BUCKET} in conditions and {"key": item["storage_key"]} in conditions
    # botocore computes the policy's expiration from the real clock: now + upload TTL.
    expiration = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    assert int(before) + 120 - 1 <= expiration <= after + 120
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and fields["x-amz-signature"]


def test_presigned_get_expires_after_the_url_ttl_and_names_the_type(s3):
    backend = S3Backend(s3, BUCKET, POLICY, clock=lambda: NOW)
    link = backend.download_url(pdf())
    query = parse_qs(urlsplit(link["url"]).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-type"] == ["application/pdf"]
    assert query["response-content-disposition"] == ['inline; filename="notes.pdf"']
    assert link["expires_at"] == "2027-01-15T08:05:00.000Z"


def test_stat_and_delete_read_the_bucket(s3):
    backend = S3Backend(s3, BUCKET, POLICY)
    item = pdf(size=4)
    assert backend.stat(item["storage_key"]) is None
    s3.put_object(Bucket=BUCKET, Key=item["storage_key"], Body=b"%PDF", ContentType="application/pdf")
    assert backend.stat(item["storage_key"]) == {"size": 4, "content_type": "application/pdf"}
    backend.delete(item["storage_key"])
    assert backend.stat(item["storage_key"]) is None


def _cloudfront_b64decode(text):
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_cloudfront_urls_carry_a_canned_policy_signed_with_the_rsa_key(s3, tmp_path):
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_bytes(pem)
    backend = build_backend(
        {
            "STORAGE": "s3",
            "S3_BUCKET": BUCKET,
            "URL_TTL_SECONDS": 300,
            "CLOUDFRONT_DOMAIN": "d111.cloudfront.example",
            "CLOUDFRONT_KEY_ID": "K2JCJMDEHXQW5F",
            "CLOUDFRONT_PRIVATE_KEY_PATH": str(key_file),
        },
        database=None,
    )
    backend.clock = lambda: NOW
    item = pdf()
    link = backend.download_url(item)
    parts = urlsplit(link["url"])
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "d111.cloudfront.example", "/" + item["storage_key"])
    query = parse_qs(parts.query)
    expires = int(NOW) + 300
    assert query["Expires"] == [str(expires)] and query["Key-Pair-Id"] == ["K2JCJMDEHXQW5F"]
    resource = link["url"].split("?")[0]
    canned = json.dumps(
        {"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
        separators=(",", ":"),
    ).encode()
    signature = _cloudfront_b64decode(query["Signature"][0])
    private_key.public_key().verify(signature, canned, padding.PKCS1v15(), CLOUDFRONT_HASH)
    # A policy with another expiry does not verify: the expiry is what was signed.
    forged = canned.replace(str(expires).encode(), str(expires + 3600).encode())
    with pytest.raises(InvalidSignature):
        private_key.public_key().verify(signature, forged, padding.PKCS1v15(), CLOUDFRONT_HASH)


def test_cloudfront_signer_needs_a_readable_pem():
    with pytest.raises(ValueError):
        cloudfront_signer("K1", b"not a key")


def test_local_backend_writes_reads_and_deletes_inside_its_directory(tmp_path):
    backend = LocalBackend(tmp_path / "media", POLICY, b"secret")
    item = pdf(size=3)
    assert backend.stat(item["storage_key"]) is None
    backend.write(item["storage_key"], b"abc")
    assert backend.read(item["storage_key"]) == b"abc"
    assert backend.stat(item["storage_key"])["size"] == 3
    assert (tmp_path / "media" / item["storage_key"]).is_file()
    assert not [path for path in (tmp_path / "media").rglob(".upload-*")]  # no temporary file left behind
    backend.delete(item["storage_key"])
    assert backend.stat(item["storage_key"]) is None
    with pytest.raises(NotFound):
        backend.read(item["storage_key"])
    for escaping in ("../outside.pdf", "media/../../outside.pdf", "/etc/passwd"):
        with pytest.raises(NotFound):
            backend.write(escaping, b"x")
    assert not (tmp_path / "outside.pdf").exists()


def test_local_links_point_at_the_gateway_and_expire(tmp_path):
    clock = [NOW]
    backend = LocalBackend(tmp_path, POLICY, b"secret", base_url="https://api.example/", clock=lambda: clock[0])
    item = pdf()
    upload = backend.upload_target(item)
    assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "application/pdf"}
    assert upload["url"].startswith(f"https://api.example/training/media/{item['_id']}/content?token=")
    assert upload["expires_at"] == "2027-01-15T08:02:00.000Z"
    upload_token = parse_qs(urlsplit(upload["url"]).query)["token"][0]
    download = backend.download_url(item)
    download_token = parse_qs(urlsplit(download["url"]).query)["token"][0]
    assert download_token.split(".")[0] == str(int(NOW) + 300)
    assert backend.check_token(media.UPLOAD_PURPOSE, item["_id"], upload_token)
    assert backend.check_token(media.DOWNLOAD_PURPOSE, item["_id"], download_token)
    with pytest.raises(Forbidden):
        backend.check_token(media.DOWNLOAD_PURPOSE, item["_id"], upload_token)
    clock[0] = NOW + 120  # the upload link's last second has passed; the download link still works
    with pytest.raises(Forbidden):
        backend.check_token(media.UPLOAD_PURPOSE, item["_id"], upload_token)
    assert backend.check_token(media.DOWNLOAD_PURPOSE, item["_id"], download_token)
    clock[0] = NOW + 300
    with pytest.raises(Forbidden):
        backend.check_token(media.DOWNLOAD_PURPOSE, item["_id"], download_token)


def test_without_a_configured_secret_one_is_kept_in_the_database(tmp_path):
    database = mongomock.MongoClient().db
    first = stored_secret(database)
    assert len(first) >= 32 and stored_secret(database) == first
    backend = build_backend({"STORAGE": "local", "LOCAL_DIRECTORY": str(tmp_path)}, database)
    assert backend.secret == first
    configured = build_backend({"LOCAL_DIRECTORY": str(tmp_path), "URL_SIGNING_SECRET": "from-config"}, database)
    assert configured.secret == b"from-config"


@pytest.mark.parametrize(
    "settings",
    [
        {"STORAGE": "ftp"},
        {"STORAGE": "s3"},
        {"STORAGE": "s3", "S3_BUCKET": "b", "CLOUDFRONT_DOMAIN": "d.example"},
        {"URL_TTL_SECONDS": 8 * 24 * 3600},
        {"UPLOAD_TTL_SECONDS": -5},
        {"MAX_BYTES": -1},
    ],
)
def test_bad_configuration_stops_the_service_at_start(settings):
    with pytest.raises(ValueError):
        build_backend(settings, database=None)


def test_defaults_are_those_of_embedded_mode():
    backend = build_backend({"STORAGE": None, "LOCAL_DIRECTORY": None, "MAX_BYTES": None}, database=None)
    assert backend.kind == "local" and backend.root.parts[-2:] == ("var", "media")
    assert backend.policy == MediaPolicy()


def test_the_provider_builds_the_configured_backend_and_indexes_the_collection(tmp_path):
    container = Mock(
        service_name="training",
        config={
            "MONGO_URI": "mongomock://media-unit",
            "MONGO_DB_PREFIX": "t_",
            "MEDIA": {"STORAGE": "local", "LOCAL_DIRECTORY": str(tmp_path), "MAX_BYTES": 77},
        },
    )
    provider = MediaStorage().bind(container, "media_storage")
    provider.setup()
    provider.start()
    backend = provider.get_dependency(Mock())
    assert backend.kind == "local" and backend.policy.max_bytes == 77
    indexes = provider.database[media.COLLECTION].index_information()
    assert any(index["key"] == [("owner_id", 1), ("created_at", -1)] for index in indexes.values())
