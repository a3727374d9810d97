"""The media RPCs of the training service through worker_factory: mongomock, local storage in a temp dir."""

import base64
from urllib.parse import parse_qs, urlsplit

import mongomock
import pytest
from nameko.testing.services import worker_factory

from common.exceptions import Conflict, Forbidden, NotFound, PayloadTooLarge, Unauthorized, ValidationError
from common.stores import Repositories
from tests.support.callers import from_gateway as caller
from training import media
from training.media_storage import LocalBackend, MediaPolicy
from training.service import TrainingService

PDF = b"%PDF-1.4 tiny"


INSTRUCTOR = ("inst-1", ["instructor"])
OTHER_INSTRUCTOR = ("inst-2", ["instructor"])
LEARNER = ("learner-1", ["learner"])
ADMIN = ("admin-1", ["admin"])


@pytest.fixture
def make_service(tmp_path):
    database = mongomock.MongoClient().db
    clock = [1_800_000_000.0]
    storage = LocalBackend(tmp_path, MediaPolicy(max_bytes=1000), b"secret", clock=lambda: clock[0])

    def make(who=None):
        return worker_factory(
            TrainingService,
            store=Repositories(lambda: database, TrainingService.store.repositories),
            caller=caller(*who) if who else caller(),
            media_storage=storage,
        )

    make.storage, make.clock, make.database = storage, clock, database
    return make


def token_of(url):
    return parse_qs(urlsplit(url).query)["token"][0]


def upload_pdf(make_service, who=INSTRUCTOR, body=PDF, **extra):
    started = make_service(who).request_media_upload(
        filename="notes.pdf", content_type="application/pdf", size=len(body), **extra
    )
    stored = make_service().put_media_content(
        started["media"]["id"],
        token_of(started["upload"]["url"]),
        body_base64=base64.b64encode(body).decode(),
        content_type="application/pdf",
    )
    return started, stored


def test_instructor_uploads_then_gets_a_signed_link_that_serves_the_bytes(make_service):
    started, stored = upload_pdf(make_service)
    assert started["media"]["status"] == "pending" and started["media"]["owner_id"] == "inst-1"
    assert started["upload"]["method"] == "PUT"
    assert stored["status"] == "uploaded" and stored["size"] == len(PDF) and stored["uploaded_at"]
    link = make_service(INSTRUCTOR).get_media_url(stored["id"])
    assert link["url"].startswith(f"/training/media/{stored['id']}/content?token=")
    assert link["expires_at"] == "2027-01-15T09:00:00.000Z"  # now + the default hour
    served = make_service().get_media_content(stored["id"], token_of(link["url"]))
    assert base64.b64decode(served["body_base64"]) == PDF
    assert served["content_type"] == "application/pdf" and served["filename"] == "notes.pdf"
    listing = make_service(INSTRUCTOR).list_media()
    assert listing["total"] == 1 and listing["items"][0]["id"] == stored["id"]


def test_only_instructors_and_admins_upload_and_only_allowed_types_and_sizes(make_service):
    with pytest.raises(Forbidden):
        make_service(LEARNER).request_media_upload(filename="a.pdf", content_type="application/pdf", size=5)
    with pytest.raises(Unauthorized):
        make_service().request_media_upload(filename="a.pdf", content_type="application/pdf", size=5)
    with pytest.raises(ValidationError):
        make_service(INSTRUCTOR).request_media_upload(filename="a.html", content_type="text/html", size=5)
    with pytest.raises(PayloadTooLarge):
        make_service(ADMIN).request_media_upload(filename="a.mp4", content_type="video/mp4", size=1001)
    with pytest.raises(ValidationError):
        make_service(INSTRUCTOR).request_media_upload(filename="a.pdf", content_type="application/pdf", size=0)
    with pytest.raises(ValidationError):
        make_service(INSTRUCTOR).request_media_upload(filename={"$gt": ""}, content_type="application/pdf", size=5)
    with pytest.raises(ValidationError):
        make_service(INSTRUCTOR).request_media_upload(
            **{"filename": "a.pdf", "content_type": "application/pdf", "size": 5, "$where": "1"}
        )
    assert make_service.database[media.COLLECTION].count_documents({}) == 0


def test_a_second_upload_or_a_wrong_token_is_refused(make_service):
    started, stored = upload_pdf(make_service)
    token = token_of(started["upload"]["url"])
    body = base64.b64encode(PDF).decode()
    with pytest.raises(Conflict):
        make_service().put_media_content(stored["id"], token, body_base64=body, content_type="application/pdf")
    with pytest.raises(Forbidden):
        make_service().put_media_content(stored["id"], token + "x", body_base64=body, content_type="application/pdf")
    link = make_service(INSTRUCTOR).get_media_url(stored["id"])
    with pytest.raises(Forbidden):  # a download link does not upload
        make_service().put_media_content(
            stored["id"], token_of(link["url"]), body_base64=body, content_type="application/pdf"
        )
    with pytest.raises(Forbidden):  # an upload link does not download
        make_service().get_media_content(stored["id"], token)
    with pytest.raises(NotFound):
        make_service().get_media_content("not-an-id", token)


def test_expired_links_are_refused(make_service):
    started = make_service(INSTRUCTOR).request_media_upload(filename="a.pdf", content_type="application/pdf", size=3)
    make_service.clock[0] += 900  # the upload TTL
    with pytest.raises(Forbidden) as raised:
        make_service().put_media_content(
            started["media"]["id"],
            token_of(started["upload"]["url"]),
            body_base64="YWJj",
            content_type="application/pdf",
        )
    assert "expired" in raised.value.message
    _, stored = upload_pdf(make_service)
    link = make_service(INSTRUCTOR).get_media_url(stored["id"])
    make_service.clock[0] += 3600
    with pytest.raises(Forbidden):
        make_service().get_media_content(stored["id"], token_of(link["url"]))


def test_who_may_see_and_manage_an_item(make_service):
    _, stored = upload_pdf(make_service)
    media_id = stored["id"]
    for who in (LEARNER, OTHER_INSTRUCTOR):
        with pytest.raises(Forbidden):
            make_service(who).get_media_url(media_id)
        with pytest.raises(Forbidden):
            make_service(who).update_media(media_id, public=True)
        with pytest.raises(Forbidden):
            make_service(who).delete_media(media_id)
    assert make_service(LEARNER).list_media()["total"] == 0
    assert make_service(ADMIN).get_media_url(media_id)["url"]
    assert make_service(ADMIN).list_media(owner_id="inst-1")["total"] == 1
    assert make_service(ADMIN).list_media(owner_id="nobody")["total"] == 0
    shared = make_service(INSTRUCTOR).update_media(media_id, public=True, filename="Week 1/slides.pdf")
    assert shared["public"] is True and shared["filename"] == "slides.pdf"
    assert make_service(LEARNER).get_media_url(media_id)["filename"] == "slides.pdf"
    assert make_service(LEARNER).get_media(media_id)["public"] is True
    with pytest.raises(Unauthorized):
        make_service().list_media()
    with pytest.raises(ValidationError):
        make_service(INSTRUCTOR).update_media(media_id, owner_id="inst-2")


def test_a_pending_item_has_no_url_and_delete_removes_file_and_record(make_service, tmp_path):
    pending = make_service(INSTRUCTOR).request_media_upload(filename="a.png", content_type="image/png", size=3)
    with pytest.raises(Conflict):
        make_service(INSTRUCTOR).get_media_url(pending["media"]["id"])
    _, stored = upload_pdf(make_service)
    key = make_service.database[media.COLLECTION].find_one({"_id": stored["id"]})["storage_key"]
    assert (tmp_path / key).is_file()
    assert make_service(ADMIN).delete_media(stored["id"]) == {"deleted": True, "id": stored["id"]}
    assert not (tmp_path / key).exists()
    with pytest.raises(NotFound):
        make_service(INSTRUCTOR).get_media(stored["id"])


def test_completing_a_local_upload_is_idempotent_and_a_missing_file_is_a_conflict(make_service):
    pending = make_service(INSTRUCTOR).request_media_upload(filename="a.png", content_type="image/png", size=3)
    with pytest.raises(Conflict):
        make_service(INSTRUCTOR).complete_media_upload(pending["media"]["id"])
    _, stored = upload_pdf(make_service)
    assert make_service(INSTRUCTOR).complete_media_upload(stored["id"])["status"] == "uploaded"


def test_a_rename_a_share_and_a_deletion_are_announced_with_the_owner_and_what_changed(make_service):
    from common import events

    _, stored = upload_pdf(make_service)
    admin = make_service(ADMIN)
    admin.update_media(stored["id"], public=True, filename="slides.pdf")
    admin.update_media(stored["id"], public=True)  # nothing changed: nothing to announce
    admin.delete_media(stored["id"])
    about = {"user_id": "inst-1", "media_id": stored["id"], "filename": "slides.pdf"}  # the owner, not the admin
    changes = {"filename": {"old": "notes.pdf", "new": "slides.pdf"}, "public": {"old": False, "new": True}}
    assert [(call.args[0], call.kwargs) for call in admin.events.call_args_list] == [
        (events.MEDIA_UPDATED, {**about, "changes": changes}),
        (events.MEDIA_DELETED, about),
    ]
