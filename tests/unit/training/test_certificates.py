"""Certificates: the signature detects any change, one per learner and course, the PDF renders."""

import base64

import mongomock
import pytest

from training import certificates
from training.store import CERTIFICATES, ensure_indexes

KEY = "test-signing-key"
COURSE = {"_id": "course-1", "title": "Ünïcode & Safety 101", "instructor_id": "inst"}


@pytest.fixture
def db():
    database = mongomock.MongoClient().db
    ensure_indexes(database)
    return database


def test_issued_once_per_learner_and_course(db):
    first, created = certificates.issue(db, "u1", COURSE, "Lee Learner", KEY)
    again, created_again = certificates.issue(db, "u1", COURSE, "Lee Learner", KEY)
    assert created is True and created_again is False and again["_id"] == first["_id"]
    assert db[CERTIFICATES].count_documents({}) == 1
    assert certificates.issue(db, "u2", COURSE, "Other", KEY)[1] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [("holder_name", "Mallory"), ("course_title", "Brain Surgery"), ("user_id", "u9"), ("signature", "0" * 64)],
)
def test_tampering_is_detected(db, field, value):
    certificate, _ = certificates.issue(db, "u1", COURSE, "Lee Learner", KEY)
    stored = db[CERTIFICATES].find_one({"_id": certificate["_id"]})
    assert certificates.verification(stored, KEY)["valid"] is True
    db[CERTIFICATES].update_one({"_id": certificate["_id"]}, {"$set": {field: value}})
    tampered = db[CERTIFICATES].find_one({"_id": certificate["_id"]})
    assert certificates.verification(tampered, KEY)["valid"] is False


def test_a_different_key_does_not_verify_and_dates_count(db):
    certificate, _ = certificates.issue(db, "u1", COURSE, "Lee Learner", KEY)
    assert certificates.is_valid(certificate, "another-key") is False
    moved = dict(certificate, issued_at=certificate["issued_at"].replace(year=2020))
    assert certificates.is_valid(moved, KEY) is False


def test_pdf(db):
    certificate, _ = certificates.issue(db, "u1", COURSE, "Zoë 李", KEY)
    document = certificates.pdf(certificate, "/training/certificates/x/verify")
    assert document["content_type"] == "application/pdf" and document["filename"].endswith(".pdf")
    assert base64.b64decode(document["body_base64"]).startswith(b"%PDF")


class Caller:
    user_id = "admin-1"
    is_admin = True

    def require_user(self):
        return self.user_id


def test_a_reissue_cut_short_after_its_insert_still_reads_replaced_and_is_finished_by_a_retry(db):
    """The crash window: the new certificate is saved, the old one's link and the event are not."""
    old, _ = certificates.issue(db, "u1", COURSE, "Lee Learner", KEY)
    interrupted, _ = certificates.issue(db, "u1", COURSE, "Lee Learner", KEY, 1, old["_id"], "typo")
    assert certificates.find(db, old["_id"])["replaced_by"] == interrupted["_id"]
    assert certificates.verification(certificates.find(db, old["_id"]), KEY)["status"] == certificates.REPLACED
    with pytest.raises(certificates.Conflict):  # revoking it now would revoke a replaced certificate
        certificates.revoke(db, lambda *a, **k: None, Caller(), old["_id"], "why")

    saved = []
    with pytest.raises(certificates.Conflict):  # the retry finishes the work and says it was done
        certificates.reissue(db, lambda *a, **k: saved.append(k), Caller(), old["_id"], "typo", None, KEY)
    assert db[CERTIFICATES].find_one({"_id": old["_id"]})["replaced_by"] == interrupted["_id"]
    assert saved[0]["envelope_id"] == f"certificate-reissued-{interrupted['_id']}"
    assert saved[0]["certificate_id"] == interrupted["_id"] and saved[0]["reason"] == "typo"
    assert db[CERTIFICATES].count_documents({}) == 2


def test_a_reissue_saves_its_event_under_an_id_a_repeat_would_reuse(db):
    old, _ = certificates.issue(db, "u1", COURSE, "Lee Learner", KEY)
    saved = []
    new = certificates.reissue(db, lambda *a, **k: saved.append(k), Caller(), old["_id"], "name", "Łukasz", KEY)
    assert new["replaces"] == old["_id"] and new["holder_name"] == "Łukasz"
    assert saved[0]["envelope_id"] == f"certificate-reissued-{new['_id']}"
    assert certificates.find(db, old["_id"])["replaced_by"] == new["_id"]
