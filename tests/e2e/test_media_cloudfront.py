"""Media with S3 storage and CloudFront downloads, over HTTP: the bucket is a moto server on 127.0.0.1, and
`GET /training/media/{id}/url` answers a CloudFront signed URL (canned policy) that the test checks with the
key pair's public key, as CloudFront would. Nothing is fetched from CloudFront."""

import base64
import json
import time
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_media_s3 import BUCKET, MP3, s3_endpoint  # noqa: F401 (fixture)
from tests.e2e.test_users import make_user

DOMAIN = "d111111abcdef8.cloudfront.example"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"
TTL = 900


@pytest.fixture
def private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def platform_config(platform_config, s3_endpoint, private_key, tmp_path):  # noqa: F811
    key_file = tmp_path / "cloudfront.pem"
    key_file.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    platform_config["MEDIA"] = {
        "STORAGE": "s3",
        "S3_BUCKET": BUCKET,
        "S3_REGION": "us-east-1",
        "S3_ENDPOINT_URL": s3_endpoint[0],
        "MAX_BYTES": 1_000_000,
        "URL_TTL_SECONDS": TTL,
        "UPLOAD_TTL_SECONDS": 300,
        "CLOUDFRONT_DOMAIN": DOMAIN,
        "CLOUDFRONT_KEY_ID": KEY_PAIR_ID,
        "CLOUDFRONT_PRIVATE_KEY_PATH": str(key_file),
    }
    return platform_config


def cloudfront_b64decode(text):
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_downloads_are_cloudfront_signed_urls_for_the_uploaded_object(api, platform, private_key):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    _, learner = make_user(api, admin, "lee@example.com", "Lee Learner")
    started = api.post(
        "/training/media/upload",
        token=instructor,
        json={"filename": "episode 1.mp3", "content_type": "audio/mpeg", "size": len(MP3)},
    )
    assert started.status_code == 201, started.text
    item, upload = started.json()["data"]["media"], started.json()["data"]["upload"]
    # Uploads still go straight to the bucket; CloudFront only serves downloads.
    posted = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("episode 1.mp3", MP3, "audio/mpeg")}, timeout=30
    )
    assert posted.status_code in (200, 201, 204), posted.text
    assert api.post(f"/training/media/{item['id']}/complete", token=instructor).status_code == 200

    before = int(time.time())
    link = api.get(f"/training/media/{item['id']}/url", token=instructor)
    after = int(time.time())
    assert link.status_code == 200, link.text
    url = link.json()["data"]["url"]
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", DOMAIN)
    assert parts.path == "/" + quote(item["storage_key"])
    query = parse_qs(parts.query)
    expires = int(query["Expires"][0])
    assert before + TTL <= expires <= after + TTL and query["Key-Pair-Id"] == [KEY_PAIR_ID]

    # What CloudFront checks: the canned policy for this resource and expiry, signed RSA-SHA1 with our key.
    canned = json.dumps(
        {"Statement": [{"Resource": url.split("?")[0], "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
        separators=(",", ":"),
    ).encode()
    signature = cloudfront_b64decode(query["Signature"][0])
    sha1 = hashes.SHA1()  # noqa: S303 (the algorithm CloudFront uses)
    private_key.public_key().verify(signature, canned, padding.PKCS1v15(), sha1)

    # Private media: no URL for someone else until the owner shares it.
    assert_error(api.get(f"/training/media/{item['id']}/url", token=learner), 403, "FORBIDDEN")
    assert api.put(f"/training/media/{item['id']}", token=instructor, json={"public": True}).status_code == 200
    shared = api.get(f"/training/media/{item['id']}/url", token=learner)
    assert shared.status_code == 200 and urlsplit(shared.json()["data"]["url"]).netloc == DOMAIN
