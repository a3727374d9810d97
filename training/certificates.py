"""Certificates: issued once per learner and course (unique index), signed so tampering shows.

The signature is HMAC-SHA256, with TRAINING.CERTIFICATE_SIGNING_KEY, over the
certificate's fields in a canonical JSON form; verification recomputes it, so
a changed name, course, date or holder makes the certificate invalid.
"""

import base64
import hashlib
import hmac
import json

from fpdf import FPDF
from pymongo.errors import DuplicateKeyError

from common.clock import isoformat, utcnow
from common.exceptions import NotFound
from training.store import CERTIFICATES, new_id

SIGNED_FIELDS = ("_id", "user_id", "holder_name", "course_id", "course_title", "issued_at")


def signature(certificate, key):
    fields = {name: certificate.get(name) for name in SIGNED_FIELDS}
    fields["issued_at"] = isoformat(fields["issued_at"])
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def is_valid(certificate, key):
    return hmac.compare_digest(str(certificate.get("signature", "")), signature(certificate, key))


def find_for(db, user_id, course_id):
    return db[CERTIFICATES].find_one({"user_id": user_id, "course_id": course_id})


def issue(db, user_id, course, holder_name, key):
    """(certificate, created): a second issue for the same learner and course returns the first."""
    now = utcnow()
    certificate = {
        "_id": new_id(),
        "user_id": user_id,
        "holder_name": holder_name,
        "course_id": course["_id"],
        "course_title": course["title"],
        "instructor_id": course.get("instructor_id"),
        # Millisecond precision, so the stored time signs the same after a round trip through MongoDB.
        "issued_at": now.replace(microsecond=now.microsecond // 1000 * 1000),
    }
    certificate["signature"] = signature(certificate, key)
    try:
        db[CERTIFICATES].insert_one(certificate)
    except DuplicateKeyError:
        return find_for(db, user_id, course["_id"]), False
    return certificate, True


def find(db, certificate_id):
    certificate = db[CERTIFICATES].find_one({"_id": str(certificate_id)})
    if certificate is None:
        raise NotFound("No such certificate")
    return certificate


def view(certificate, key):
    return {
        "id": certificate["_id"],
        "user_id": certificate["user_id"],
        "holder_name": certificate["holder_name"],
        "course_id": certificate["course_id"],
        "course_title": certificate["course_title"],
        "issued_at": isoformat(certificate["issued_at"]),
        "signature": certificate.get("signature"),
        "valid": is_valid(certificate, key),
    }


def verification(certificate, key):
    """What anyone may learn about a certificate: who, what, when, and whether it is genuine."""
    return {
        "id": certificate["_id"],
        "holder_name": certificate["holder_name"],
        "course_title": certificate["course_title"],
        "issued_at": isoformat(certificate["issued_at"]),
        "valid": is_valid(certificate, key),
    }


def _latin1(text):
    # The core PDF fonts are Latin-1; other characters are replaced rather than failing the download.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def pdf(certificate, verify_url):
    document = FPDF(orientation="L", format="A4")
    document.set_title(_latin1(f"Certificate - {certificate['course_title']}"))
    document.add_page()
    document.set_font("Helvetica", "B", 32)
    document.cell(0, 30, "Certificate of Completion", align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", "", 16)
    document.cell(0, 12, "This certifies that", align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", "B", 26)
    document.cell(0, 18, _latin1(certificate["holder_name"]), align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", "", 16)
    document.cell(0, 12, "has completed the course", align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", "B", 20)
    document.multi_cell(0, 14, _latin1(certificate["course_title"]), align="C", new_x="LMARGIN", new_y="NEXT")
    document.set_font("Helvetica", "", 12)
    document.cell(0, 10, f"Issued {isoformat(certificate['issued_at'])[:10]}", align="C", new_x="LMARGIN", new_y="NEXT")
    document.cell(0, 8, f"Certificate id {certificate['_id']}", align="C", new_x="LMARGIN", new_y="NEXT")
    document.cell(0, 8, _latin1(f"Verify at {verify_url}"), align="C", new_x="LMARGIN", new_y="NEXT")
    return {
        "content_type": "application/pdf",
        "filename": f"certificate-{certificate['_id']}.pdf",
        "body_base64": base64.b64encode(bytes(document.output())).decode("ascii"),
    }


def mine(db, user_id):
    return list(db[CERTIFICATES].find({"user_id": user_id}).sort("issued_at", -1))
