"""Certificates over HTTP: revoke, verify says so, reissue, a PDF for any name."""

import io

import pytest
from pypdf import PdfReader

from common import events
from tests.e2e.test_account_flow import ADMIN, assert_error, create_admin
from tests.e2e.test_notifications import wait_until
from tests.e2e.test_users import make_user
from tests.support.api import ApiClient

HOLDER = "Łukasz 王芳"
PUBLIC = "https://learn.example.org"


@pytest.fixture
def platform_config(platform_config):
    """The gateway's public address, as a deployment behind a proxy sets it."""
    platform_config["GATEWAY"] = {**platform_config["GATEWAY"], "PUBLIC_BASE_URL": PUBLIC}
    return platform_config


def data_of(response, status=200):
    assert response.status_code == status, response.text
    return response.json()["data"]


def certified_learner(api, platform):
    """An admin, an instructor and a learner named HOLDER holding the certificate of a one-lesson course."""
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    _, instructor = make_user(api, admin, "ivy@example.com", "Ivy", roles=["instructor"])
    learner, learner_token = make_user(api, admin, "lukasz@example.com", HOLDER)
    body = {"title": "Short course", "modules": [{"title": "Only", "lessons": [{"title": "Hi", "content": "Hi"}]}]}
    course = data_of(api.post("/training/courses", token=instructor, json=body), 201)
    course = data_of(api.post(f"/training/courses/{course['id']}/publish", token=instructor))
    data_of(api.post(f"/training/courses/{course['id']}/enroll", token=learner_token), 201)
    lesson_id = course["modules"][0]["lessons"][0]["id"]
    data_of(api.post(f"/training/lessons/{lesson_id}/complete", token=learner_token))
    (certificate,) = data_of(api.get("/training/certificates/me", token=learner_token))["items"]
    return {"admin": admin, "instructor": instructor, "learner": learner, "learner_token": learner_token}, certificate


def test_admin_revokes_verify_says_revoked_and_a_reissue_replaces_it(api, platform, event_tap):
    tap = event_tap("training")
    people, certificate = certified_learner(api, platform)
    assert certificate["holder_name"] == HOLDER and certificate["status"] == "active" and certificate["valid"]
    certificate_id = certificate["id"]

    # Neither the holder nor another learner may revoke; a reason is required.
    assert_error(
        api.post(
            f"/training/certificates/{certificate_id}/revoke", token=people["learner_token"], json={"reason": "x"}
        ),
        403,
        "FORBIDDEN",
    )
    assert_error(
        api.post(f"/training/certificates/{certificate_id}/revoke", token=people["admin"], json={}),
        400,
        "VALIDATION_ERROR",
    )
    revoked = data_of(
        api.post(
            f"/training/certificates/{certificate_id}/revoke", token=people["admin"], json={"reason": "Plagiarism"}
        )
    )
    assert revoked["status"] == "revoked" and revoked["valid"] is False and revoked["genuine"] is True
    assert revoked["revocation_reason"] == "Plagiarism" and revoked["revoked_at"]
    event = tap.wait_for(events.CERTIFICATE_REVOKED, course_id=certificate["course_id"])
    assert event["user_id"] == people["learner"]["id"]
    assert event["metadata"]["certificate_id"] == certificate_id
    assert event["metadata"]["reason"] == "Plagiarism" and event["metadata"]["course_title"] == "Short course"
    # Revoking twice is a conflict, not a second event.
    assert_error(
        api.post(f"/training/certificates/{certificate_id}/revoke", token=people["admin"], json={"reason": "Again"}),
        409,
        "CONFLICT",
    )

    with ApiClient(api.base_url) as anonymous:
        verified = data_of(anonymous.get(f"/training/certificates/{certificate_id}/verify"))
        assert verified["status"] == "revoked" and verified["valid"] is False
        assert verified["revoked_at"] == revoked["revoked_at"] and verified["revocation_reason"] == "Plagiarism"

    # The course's instructor reissues it: a new certificate, and the old one points at it.
    reissued = data_of(
        api.post(
            f"/training/certificates/{certificate_id}/reissue",
            token=people["instructor"],
            json={"reason": "Appeal upheld"},
        ),
        201,
    )
    assert reissued["id"] != certificate_id and reissued["replaces"] == certificate_id
    assert reissued["status"] == "active" and reissued["valid"] is True and reissued["holder_name"] == HOLDER
    event = tap.wait_for(events.CERTIFICATE_REISSUED, course_id=certificate["course_id"])
    assert event["metadata"]["certificate_id"] == reissued["id"] and event["metadata"]["replaces"] == certificate_id
    assert event["user_id"] == people["learner"]["id"] and event["metadata"]["reason"] == "Appeal upheld"
    with ApiClient(api.base_url) as anonymous:
        old = data_of(anonymous.get(f"/training/certificates/{certificate_id}/verify"))
        assert old["status"] == "replaced" and old["replaced_by"] == reissued["id"] and old["valid"] is False
    assert_error(
        api.post(f"/training/certificates/{certificate_id}/reissue", token=people["admin"], json={}),
        409,
        "CONFLICT",
    )
    mine = data_of(api.get("/training/certificates/me", token=people["learner_token"]))
    assert {row["id"]: row["status"] for row in mine["items"]} == {certificate_id: "replaced", reissued["id"]: "active"}

    # The holder is told of both, in the app (and by email, per their preferences).
    def told():
        inbox = data_of(api.get("/notifications", token=people["learner_token"], params={"page_size": 100}))
        kinds = {item["event_type"]: item for item in inbox["items"]}
        return kinds if {events.CERTIFICATE_REVOKED, events.CERTIFICATE_REISSUED} <= set(kinds) else None

    kinds = wait_until(told)
    assert "Plagiarism" in kinds[events.CERTIFICATE_REVOKED]["text"]
    assert kinds[events.CERTIFICATE_REISSUED]["subject"] == "Your certificate was reissued"


def test_the_pdf_prints_any_name_and_the_public_verify_link(api, platform):
    people, certificate = certified_learner(api, platform)
    pdf = api.get(f"/training/certificates/{certificate['id']}/pdf", token=people["learner_token"])
    assert pdf.status_code == 200 and pdf.headers["Content-Type"].startswith("application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    # pypdf reads the CJK run with a NUL or a space between glyphs (its guess at the gaps of the fallback font);
    # the characters and their order are what counts.
    squeezed = "".join(text.replace("\x00", " ").split())
    assert "".join(HOLDER.split()) in squeezed and "?" not in squeezed
    assert f"{PUBLIC}/verify/{certificate['id']}" in squeezed
    assert "127.0.0.1" not in text and "Short course" in text


def test_verify_page_answers_html_to_a_browser_and_the_envelope_to_programs(api, platform):
    people, certificate = certified_learner(api, platform)
    certificate_id = certificate["id"]
    reason = "Copied <script>alert(1)</script> work"
    data_of(api.post(f"/training/certificates/{certificate_id}/revoke", token=people["admin"], json={"reason": reason}))
    with ApiClient(api.base_url) as anonymous:
        page = anonymous.get(f"/verify/{certificate_id}", headers={"Accept": "text/html,*/*;q=0.8"})
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert page.headers["Vary"] == "Accept" and page.headers["X-Request-ID"]
        html = page.text
        assert HOLDER in html and "Short course" in html and "Revoked on" in html
        # Escaped: the reason prints as text, never as markup.
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
        as_json = anonymous.get(f"/verify/{certificate_id}", headers={"Accept": "application/json"})
        assert as_json.headers["Content-Type"].startswith("application/json")
        verified = data_of(as_json)
        assert (
            verified["status"] == "revoked" and verified["valid"] is False and verified["revocation_reason"] == reason
        )
        assert verified == data_of(anonymous.get(f"/training/certificates/{certificate_id}/verify"))
        # Without an Accept header, programs get JSON.
        assert anonymous.get(f"/verify/{certificate_id}").json()["data"]["status"] == "revoked"
        assert anonymous.get("/verify/not-a-certificate", headers={"Accept": "text/html"}).status_code == 404
