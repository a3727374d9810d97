"""Media in embedded-mode configuration (local storage), over HTTP through the gateway: real raw uploads to the
gateway's upload route, signed and expiring download links, and who may do what."""

import http.client
import json
import time
from urllib.parse import parse_qs, urlsplit

import eventlet
import pytest

from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient
from training import media

SECRET = "e2e-media-link-secret"
MAX_BYTES = 4096
PDF = b"%PDF-1.4\n% a tiny lecture handout\n%%EOF\n"


@pytest.fixture
def platform_config(platform_config, tmp_path):
    """The suite's config with local media storage in this test's temp dir and a small size limit."""
    platform_config["MEDIA"] = {
        "STORAGE": "local",
        "LOCAL_DIRECTORY": str(tmp_path / "media"),
        "PUBLIC_BASE_URL": "",
        "URL_SIGNING_SECRET": SECRET,
        "MAX_BYTES": MAX_BYTES,
        "URL_TTL_SECONDS": 600,
        "UPLOAD_TTL_SECONDS": 300,
    }
    return platform_config


@pytest.fixture
def people(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy Instructor", roles=["instructor"])
    _, other_instructor = make_user(api, admin, "otto@example.com", "Otto Instructor", roles=["instructor"])
    _, learner = make_user(api, admin, "lee@example.com", "Lee Learner")
    return {"admin": admin, "instructor": instructor, "other": other_instructor, "learner": learner}


def start_upload(api, token, body=PDF, content_type="application/pdf", filename="handout.pdf", **extra):
    response = api.post(
        "/training/media/upload",
        token=token,
        json={"filename": filename, "content_type": content_type, "size": len(body), **extra},
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def put_bytes(api, upload, body, **headers):
    return api.put(upload["url"], data=body, headers={**upload["headers"], **headers})


def test_an_instructor_uploads_through_the_gateway_and_shares_a_signed_expiring_link(api, people, tmp_path):
    instructor, learner = people["instructor"], people["learner"]
    started = start_upload(api, instructor)
    item, upload = started["media"], started["upload"]
    assert item["status"] == "pending" and item["content_type"] == "application/pdf" and item["public"] is False
    assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "application/pdf"}
    assert upload["url"].startswith(f"/training/media/{item['id']}/content?token=")
    assert upload["expires_at"].endswith("Z")

    # The upload route checks what arrives against what was declared, and its link.
    assert_error(put_bytes(api, upload, PDF, **{"Content-Type": "image/png"}), 400, "VALIDATION_ERROR")
    assert_error(put_bytes(api, upload, PDF + b"x"), 413, "PAYLOAD_TOO_LARGE")
    assert_error(put_bytes(api, upload, PDF[:-1]), 400, "VALIDATION_ERROR")
    assert_error(put_bytes(api, upload, b""), 400, "VALIDATION_ERROR")
    tampered = dict(upload, url=upload["url"][:-2] + ("AA" if not upload["url"].endswith("AA") else "BB"))
    assert_error(put_bytes(api, tampered, PDF), 403, "FORBIDDEN")
    assert_error(api.put(upload["url"].split("?")[0], data=PDF, headers=upload["headers"]), 400, "VALIDATION_ERROR")

    stored = put_bytes(api, upload, PDF)
    assert stored.status_code == 200, stored.text
    assert stored.json()["data"]["status"] == "uploaded" and stored.json()["data"]["size"] == len(PDF)
    assert_error(put_bytes(api, upload, PDF), 409, "CONFLICT")  # an item is uploaded once
    on_disk = tmp_path / "media" / stored.json()["data"]["storage_key"]
    assert on_disk.read_bytes() == PDF

    # The uploader gets a time-limited link; anyone holding it downloads, no token needed.
    link = api.get(f"/training/media/{item['id']}/url", token=instructor)
    assert link.status_code == 200, link.text
    url, expires_at = link.json()["data"]["url"], link.json()["data"]["expires_at"]
    token = parse_qs(urlsplit(url).query)["token"][0]
    expires = int(token.split(".")[0])
    assert time.time() + 600 - 60 <= expires <= time.time() + 600 + 1
    assert expires_at.endswith("Z")
    download = api.get(url)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith('inline; filename="handout.pdf"')

    # Links are bound to their item, their purpose and their expiry.
    expired = media.sign_token(SECRET.encode(), media.DOWNLOAD_PURPOSE, item["id"], int(time.time()) - 1)
    refused = api.get(f"/training/media/{item['id']}/content?token={expired}")
    assert_error(refused, 403, "FORBIDDEN")
    assert "expired" in refused.json()["error"]["message"]
    assert_error(api.get(url[:-1] + ("A" if url[-1] != "A" else "B")), 403, "FORBIDDEN")
    assert_error(api.get(upload["url"]), 403, "FORBIDDEN")  # an upload link does not download
    assert_error(api.get(f"/training/media/{item['id']}/content"), 400, "VALIDATION_ERROR")

    # Private until its owner shares it: then any signed-in user may get a link, still not anonymous callers.
    assert_error(api.get(f"/training/media/{item['id']}/url", token=learner), 403, "FORBIDDEN")
    assert_error(api.get(f"/training/media/{item['id']}/url"), 401, "UNAUTHORIZED")
    assert_error(api.put(f"/training/media/{item['id']}", token=learner, json={"public": True}), 403, "FORBIDDEN")
    shared = api.put(f"/training/media/{item['id']}", token=instructor, json={"public": True})
    assert shared.status_code == 200 and shared.json()["data"]["public"] is True
    learner_link = api.get(f"/training/media/{item['id']}/url", token=learner)
    assert learner_link.status_code == 200, learner_link.text
    assert api.get(learner_link.json()["data"]["url"]).content == PDF
    assert api.get(f"/training/media/{item['id']}/url", token=people["admin"]).status_code == 200

    # Only the uploader or an admin deletes; the file goes with the record, and old links stop working.
    assert_error(api.delete(f"/training/media/{item['id']}", token=people["other"]), 403, "FORBIDDEN")
    deleted = api.delete(f"/training/media/{item['id']}", token=instructor)
    assert deleted.status_code == 200 and deleted.json()["data"] == {"deleted": True, "id": item["id"]}
    assert not on_disk.exists()
    assert_error(api.get(url), 404, "NOT_FOUND")
    assert_error(api.get(f"/training/media/{item['id']}", token=instructor), 404, "NOT_FOUND")


def test_what_may_be_uploaded_and_by_whom(api, people):
    instructor = people["instructor"]
    body = {"filename": "clip.mp4", "content_type": "video/mp4", "size": 100}
    assert_error(api.post("/training/media/upload", token=people["learner"], json=body), 403, "FORBIDDEN")
    assert_error(api.post("/training/media/upload", json=body), 401, "UNAUTHORIZED")
    for content_type in ("text/html", "image/svg+xml", "application/x-sh"):
        refused = api.post("/training/media/upload", token=instructor, json=dict(body, content_type=content_type))
        assert_error(refused, 400, "VALIDATION_ERROR")
    too_big = api.post("/training/media/upload", token=instructor, json=dict(body, size=MAX_BYTES + 1))
    assert_error(too_big, 413, "PAYLOAD_TOO_LARGE")
    assert too_big.json()["error"]["details"]["max_bytes"] == MAX_BYTES
    for bad in ({"size": 0}, {"size": "100"}, {"filename": {"$gt": ""}}, {"$where": "1"}, {"owner_id": "x"}):
        assert_error(
            api.post("/training/media/upload", token=instructor, json={**body, **bad}), 400, "VALIDATION_ERROR"
        )
    assert api.post("/training/media/upload", token=people["admin"], json=body).status_code == 201

    # A pending item has no URL yet; an admin sees everyone's media, an instructor their own.
    pending = start_upload(api, instructor, body=b"RIFF....WAVE", content_type="audio/wav", filename="../intro.wav")
    assert pending["media"]["filename"] == "intro.wav"
    assert_error(api.get(f"/training/media/{pending['media']['id']}/url", token=instructor), 409, "CONFLICT")
    mine = api.get("/training/media", token=instructor).json()["data"]
    assert [entry["id"] for entry in mine["items"]] == [pending["media"]["id"]] and mine["total"] == 1
    assert api.get("/training/media", token=people["admin"]).json()["data"]["total"] == 2
    assert api.get("/training/media", token=people["learner"]).json()["data"]["total"] == 0
    assert_error(api.get("/training/media/not-a-uuid", token=instructor), 404, "NOT_FOUND")


def test_a_chunked_upload_without_a_length_reaches_the_store(api, people):
    body = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    started = start_upload(api, people["instructor"], body=body, content_type="image/png", filename="diagram.png")
    stored = api.put(
        started["upload"]["url"], data=iter([body[:1000], body[1000:]]), headers=started["upload"]["headers"]
    )
    assert stored.status_code == 200, stored.text
    link = api.get(f"/training/media/{started['media']['id']}/url", token=people["instructor"]).json()["data"]
    assert api.get(link["url"]).content == body


def test_the_upload_route_refuses_oversize_and_wrong_types_however_the_body_comes(api, people, platform):
    started = start_upload(api, people["instructor"])
    upload = started["upload"]
    # Chunked, without a length: still counted, still refused over the declared size.
    chunked = api.put(upload["url"], data=iter([PDF, b"more"]), headers=upload["headers"])
    assert_error(chunked, 413, "PAYLOAD_TOO_LARGE")
    # Over the route's own limit (50 MB): refused from the headers, before a byte of the body is read.
    host, port = platform["WEB_SERVER_ADDRESS"].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("PUT", upload["url"])
        for name, value in {
            "Content-Type": "application/pdf",
            "Content-Length": str(50 * 1024 * 1024 + 1),
            "Expect": "100-continue",
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 413 and body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    # The declared type, and only it: a type on the allow-list but not the declared one is refused too.
    for content_type in ("video/mp4", "text/html", "application/pdf, image/png", ""):
        assert_error(put_bytes(api, upload, PDF, **{"Content-Type": content_type}), 400, "VALIDATION_ERROR")
    item = api.get(f"/training/media/{started['media']['id']}", token=people["instructor"]).json()["data"]
    assert item["status"] == "pending"
    # Parameters and case do not matter.
    stored = put_bytes(api, upload, PDF, **{"Content-Type": "Application/PDF; charset=binary"})
    assert stored.status_code == 200, stored.text


def test_concurrent_uploads_of_one_item_store_it_once(api, people, tmp_path):
    started = start_upload(api, people["instructor"])
    upload = started["upload"]

    def put(_):
        with ApiClient(api.base_url) as client:
            return client.put(upload["url"], data=PDF, headers=upload["headers"])

    responses = list(eventlet.GreenPool(6).imap(put, range(6)))
    assert sorted(response.status_code for response in responses) == [200] + [409] * 5, [r.text for r in responses]
    item = api.get(f"/training/media/{started['media']['id']}", token=people["instructor"]).json()["data"]
    assert item["status"] == "uploaded" and item["size"] == len(PDF)
    assert (tmp_path / "media" / item["storage_key"]).read_bytes() == PDF


def test_a_lesson_keeps_the_media_id_and_each_read_mints_a_fresh_link(api, people):
    instructor, other, learner = people["instructor"], people["other"], people["learner"]
    started = start_upload(api, instructor)
    item = started["media"]
    assert put_bytes(api, started["upload"], PDF).status_code == 200
    lesson = {"title": "Handout", "type": "video", "media_id": item["id"], "duration_seconds": 0}
    body = {"title": "With media", "description": "d", "modules": [{"title": "M", "lessons": [lesson]}]}
    # Only media of one's own can be attached; an unknown id is 404.
    assert_error(api.post("/training/courses", token=other, json=body), 403, "FORBIDDEN")
    unknown = dict(lesson, media_id="00000000-0000-4000-8000-000000000000")
    assert_error(
        api.post(
            "/training/courses", token=instructor, json=dict(body, modules=[{"title": "M", "lessons": [unknown]}])
        ),
        404,
        "NOT_FOUND",
    )
    created = api.post("/training/courses", token=instructor, json=body)
    assert created.status_code == 201, created.text
    course = created.json()["data"]
    stored = course["modules"][0]["lessons"][0]
    assert stored["media_id"] == item["id"] and stored.get("media_url") is None  # the course holds no link
    assert api.post(f"/training/courses/{course['id']}/publish", token=instructor).status_code == 200
    assert api.post(f"/training/courses/{course['id']}/enroll", token=learner).status_code == 201

    read = api.get(f"/training/courses/{course['id']}", token=learner).json()["data"]["modules"][0]["lessons"][0]
    assert read["media_url"].startswith(f"/training/media/{item['id']}/content?token=")
    assert read["media_url_expires_at"].endswith("Z")
    downloaded = api.get(read["media_url"])
    assert downloaded.status_code == 200 and downloaded.content == PDF
    listed = api.get(f"/training/courses/{course['id']}/lessons", token=learner).json()["data"]["items"][0]
    assert listed["media_url"].startswith(f"/training/media/{item['id']}/content?token=")
    video = api.get(f"/training/videos/course/{course['id']}", token=learner).json()["data"]["items"][0]
    assert video["video_link"].startswith(f"/training/media/{item['id']}/content?token=")
