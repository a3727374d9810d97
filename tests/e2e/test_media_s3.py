"""Media with S3 storage, over HTTP: the gateway hands out a presigned POST, the client uploads straight to the
bucket (a moto server on 127.0.0.1), confirms, and downloads through a presigned GET.

moto checks neither signatures nor expiry nor the POST policy's conditions; those are proved in
tests/unit/training/test_media_storage.py. Here the point is that the whole path works against an S3 API.
"""

import base64
import json

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_users import make_user

BUCKET = "lnd-media-e2e"
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64


@pytest.fixture
def s3_endpoint(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its buckets in this process, whichever server serves them: start from none.
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield endpoint, client
    server.stop()


@pytest.fixture
def platform_config(platform_config, s3_endpoint):
    platform_config["MEDIA"] = {
        "STORAGE": "s3",
        "S3_BUCKET": BUCKET,
        "S3_REGION": "us-east-1",
        "S3_ENDPOINT_URL": s3_endpoint[0],
        "MAX_BYTES": 1_000_000,
        "URL_TTL_SECONDS": 600,
        "UPLOAD_TTL_SECONDS": 300,
    }
    return platform_config


def test_presigned_post_upload_confirm_and_presigned_download(api, platform, s3_endpoint):
    endpoint, s3 = s3_endpoint
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    _, learner = make_user(api, admin, "lee@example.com", "Lee Learner")

    started = api.post(
        "/training/media/upload",
        token=instructor,
        json={"filename": "episode 1.mp3", "content_type": "audio/mpeg", "size": len(MP3), "public": True},
    )
    assert started.status_code == 201, started.text
    item, upload = started.json()["data"]["media"], started.json()["data"]["upload"]
    assert upload["method"] == "POST" and upload["url"].startswith(endpoint)
    assert upload["fields"]["key"] == item["storage_key"] and upload["fields"]["Content-Type"] == "audio/mpeg"

    # Nothing in the bucket yet: confirming is a conflict, and there is no URL.
    assert_error(api.post(f"/training/media/{item['id']}/complete", token=instructor), 409, "CONFLICT")
    assert_error(api.get(f"/training/media/{item['id']}/url", token=instructor), 409, "CONFLICT")

    # The browser's part: a multipart form straight to the bucket, the policy's fields first, the file last.
    posted = requests.post(
        upload["url"], data=upload["fields"], files={"file": ("episode 1.mp3", MP3, "audio/mpeg")}, timeout=30
    )
    assert posted.status_code in (200, 201, 204), posted.text
    head = s3.head_object(Bucket=BUCKET, Key=item["storage_key"])
    assert head["ContentLength"] == len(MP3) and head["ContentType"] == "audio/mpeg"

    assert_error(api.post(f"/training/media/{item['id']}/complete", token=learner), 403, "FORBIDDEN")
    completed = api.post(f"/training/media/{item['id']}/complete", token=instructor)
    assert completed.status_code == 200, completed.text
    assert completed.json()["data"]["status"] == "uploaded"
    assert api.post(f"/training/media/{item['id']}/complete", token=instructor).status_code == 200  # idempotent

    # The item is public: the learner gets a presigned GET and downloads from the bucket.
    link = api.get(f"/training/media/{item['id']}/url", token=learner)
    assert link.status_code == 200, link.text
    url = link.json()["data"]["url"]
    assert url.startswith(f"{endpoint}/{BUCKET}/") and "X-Amz-Expires=600" in url and "X-Amz-Signature=" in url
    download = requests.get(url, timeout=30)
    assert download.status_code == 200 and download.content == MP3
    assert download.headers["Content-Type"] == "audio/mpeg"

    # With S3 the bytes never pass through the gateway's own routes.
    assert_error(api.get(f"/training/media/{item['id']}/content?token=1.x"), 404, "NOT_FOUND")

    deleted = api.delete(f"/training/media/{item['id']}", token=instructor)
    assert deleted.status_code == 200, deleted.text
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0


def test_the_s3_target_refuses_oversize_and_wrong_types(api, platform, s3_endpoint):
    _, s3 = s3_endpoint
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    body = {"filename": "episode.mp3", "content_type": "audio/mpeg", "size": len(MP3)}

    # Before any byte moves: over MEDIA.MAX_BYTES is 413, a type off the allow-list 400.
    too_big = api.post("/training/media/upload", token=instructor, json=dict(body, size=1_000_001))
    assert_error(too_big, 413, "PAYLOAD_TOO_LARGE")
    assert too_big.json()["error"]["details"]["max_bytes"] == 1_000_000
    for content_type in ("text/html", "image/svg+xml", "application/octet-stream"):
        refused = api.post("/training/media/upload", token=instructor, json=dict(body, content_type=content_type))
        assert_error(refused, 400, "VALIDATION_ERROR")
    for bad in ({"size": 0}, {"size": -1}, {"size": "10"}):
        assert_error(
            api.post("/training/media/upload", token=instructor, json={**body, **bad}), 400, "VALIDATION_ERROR"
        )
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0

    started = api.post("/training/media/upload", token=instructor, json=body)
    assert started.status_code == 201, started.text
    item, upload = started.json()["data"]["media"], started.json()["data"]["upload"]
    # The presigned POST's signed policy binds the exact size and the declared type: S3 refuses anything else.
    policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
    assert ["content-length-range", len(MP3), len(MP3)] in policy["conditions"]
    assert {"Content-Type": "audio/mpeg"} in policy["conditions"]
    assert {"key": item["storage_key"]} in policy["conditions"] and upload["max_bytes"] == len(MP3)

    def post_form(data, content_type="audio/mpeg"):
        fields = dict(upload["fields"], **{"Content-Type": content_type})
        posted = requests.post(
            upload["url"], data=fields, files={"file": ("episode.mp3", data, content_type)}, timeout=30
        )
        assert posted.status_code in (200, 201, 204), posted.text  # moto does not enforce the policy

    def complete():
        return api.post(f"/training/media/{item['id']}/complete", token=instructor)

    # A store that ignored the policy: `complete` reads what the bucket holds, refuses it as the gateway's
    # own upload route would, and removes it; the item stays pending and the target can be used again.
    for data, content_type, status, code in (
        (MP3 + b"\x00" * 100, "audio/mpeg", 413, "PAYLOAD_TOO_LARGE"),
        (MP3[:-1], "audio/mpeg", 400, "VALIDATION_ERROR"),
        (MP3, "text/html", 400, "VALIDATION_ERROR"),
        (MP3, "video/mp4", 400, "VALIDATION_ERROR"),
    ):
        post_form(data, content_type)
        assert_error(complete(), status, code)
        assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount", 0) == 0
        pending = api.get(f"/training/media/{item['id']}", token=instructor).json()["data"]
        assert pending["status"] == "pending" and pending["size"] == len(MP3)
        assert_error(api.get(f"/training/media/{item['id']}/url", token=instructor), 409, "CONFLICT")

    post_form(MP3)
    completed = complete()
    assert completed.status_code == 200, completed.text
    assert completed.json()["data"]["status"] == "uploaded" and completed.json()["data"]["size"] == len(MP3)
