"""Certificates: issued once per learner and course (unique index), signed so tampering shows.

The signature is HMAC-SHA256, with TRAINING.CERTIFICATE_SIGNING_KEY, over the
certificate's fields in a canonical JSON form; verification recomputes it, so
a changed name, course, date or holder makes the certificate invalid.
"""

import base64
import functools
import hashlib
import hmac
import json
from pathlib import Path

import fontpkg_noto_sans
import noto_cjk_sans_jp_regular
from fontTools.ttLib import TTFont
from fpdf import FPDF
from pymongo.errors import DuplicateKeyError

from common import events
from common.clock import isoformat, utcnow
from common.exceptions import Conflict, Forbidden, NotFound
from training.contracts import CERTIFICATE_STATUSES
from training.store import CERTIFICATES, new_id

# What verification says of a certificate: in force, withdrawn, or superseded by a reissued one.
ACTIVE, REVOKED, REPLACED = CERTIFICATE_STATUSES

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


def _now():
    # Millisecond precision, so a stored time reads (and signs) the same after a round trip through MongoDB.
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def issue(db, user_id, course, holder_name, key, reissue=None, replaces=None, reason=None):
    """(certificate, created): a second issue for the same learner, course and reissue number returns the first.

    A reissue names the certificate it ``replaces`` in the same write, so no crash can leave a new certificate
    that does not say what it replaced."""
    certificate = {
        "_id": new_id(),
        "user_id": user_id,
        "holder_name": holder_name,
        "course_id": course["_id"],
        "course_title": course["title"],
        "instructor_id": course.get("instructor_id"),
        "issued_at": _now(),
    }
    if reissue is not None:
        # The unique index (user_id, course_id, reissue) lets one reissue per number win a race.
        certificate["reissue"] = reissue
    certificate["signature"] = signature(certificate, key)
    if replaces is not None:
        certificate.update(replaces=replaces, reissue_reason=reason)
    try:
        db[CERTIFICATES].insert_one(certificate)
    except DuplicateKeyError:
        return db[CERTIFICATES].find_one({"user_id": user_id, "course_id": course["_id"], "reissue": reissue}), False
    return certificate, True


def find(db, certificate_id):
    certificate = db[CERTIFICATES].find_one({"_id": str(certificate_id)})
    if certificate is None:
        raise NotFound("No such certificate")
    return with_replacements(db, [certificate])[0]


def with_replacements(db, found):
    """``found`` with ``replaced_by`` filled in from the certificates that replace them.

    The replacement names its predecessor in its own insert; the predecessor's ``replaced_by`` is a second
    write, which a crash can miss. Reading the link from the replacement keeps the status right meanwhile."""
    unlinked = [certificate["_id"] for certificate in found if not certificate.get("replaced_by")]
    if not unlinked:
        return found
    replacements = {
        row["replaces"]: row
        for row in db[CERTIFICATES].find({"replaces": {"$in": unlinked}}, {"replaces": 1, "issued_at": 1})
    }
    for certificate in found:
        newer = replacements.get(certificate["_id"])
        if newer is not None and not certificate.get("replaced_by"):
            certificate.update(replaced_by=newer["_id"], replaced_at=newer["issued_at"])
    return found


def status_of(certificate):
    if certificate.get("replaced_by"):
        return REPLACED
    if certificate.get("revoked_at"):
        return REVOKED
    return ACTIVE


def _standing(certificate, key):
    """Status fields both the holder's view and the public verification show."""
    genuine = is_valid(certificate, key)
    revoked_at = certificate.get("revoked_at")
    return {
        "status": status_of(certificate),
        "genuine": genuine,
        # Valid: genuine AND still in force; a revoked or replaced certificate no longer certifies anything.
        "valid": genuine and status_of(certificate) == ACTIVE,
        "revoked_at": isoformat(revoked_at) if revoked_at else None,
        "revocation_reason": certificate.get("revocation_reason"),
        "replaced_by": certificate.get("replaced_by"),
        "replaces": certificate.get("replaces"),
    }


def verification(certificate, key):
    """What anyone may learn about a certificate: who, what, when, whether it is genuine and still in force."""
    return {
        "id": certificate["_id"],
        "holder_name": certificate["holder_name"],
        "course_title": certificate["course_title"],
        "issued_at": isoformat(certificate["issued_at"]),
        **_standing(certificate, key),
    }


def view(certificate, key):
    """The holder's (and admins') view: the verification, whose it is and its signature."""
    return dict(
        verification(certificate, key),
        user_id=certificate["user_id"],
        course_id=certificate["course_id"],
        signature=certificate.get("signature"),
    )


@functools.cache
def _font_files():
    """Noto Sans (Latin, Greek, Cyrillic) and, for what it lacks, Noto Sans CJK: both shipped as packages."""
    latin = Path(fontpkg_noto_sans.__file__).parent / "files" / "NotoSans[wdth,wght].ttf"
    cjk = Path(noto_cjk_sans_jp_regular.__file__).parent / "NotoSansCJKjp-Regular.otf"
    return str(latin), str(cjk)


@functools.cache
def _latin_coverage():
    with TTFont(_font_files()[0], lazy=True) as font:
        return frozenset(font.getBestCmap())


def pdf(certificate, verify_url):
    """The certificate as a landscape A4 PDF; any name prints (fonts embedded, subset to the glyphs used)."""
    latin, cjk = _font_files()
    document = FPDF(orientation="L", format="A4")
    document.add_font("Noto", "", latin)
    texts = f"{certificate['holder_name']}{certificate['course_title']}"
    if any(ord(character) not in _latin_coverage() for character in texts):
        # A character Noto Sans lacks (王, 芳, ...) is drawn with Noto Sans CJK (loaded only then: it is large).
        document.add_font("NotoCJK", "", cjk)
        document.set_fallback_fonts(["NotoCJK"], exact_match=False)
    document.set_title(f"Certificate - {certificate['course_title']}")
    document.add_page()

    # One weight: instancing the variable font's bold costs seconds per document.
    def line(size, text, bold=False, height=12, wrap=False):
        document.set_font("Noto", "", size + 2 if bold else size)
        write = document.multi_cell if wrap else document.cell
        write(0, height, str(text), align="C", new_x="LMARGIN", new_y="NEXT")

    line(32, "Certificate of Completion", bold=True, height=30)
    line(16, "This certifies that")
    line(26, certificate["holder_name"], bold=True, height=18)
    line(16, "has completed the course")
    line(20, certificate["course_title"], bold=True, height=14, wrap=True)
    line(12, f"Issued {isoformat(certificate['issued_at'])[:10]}", height=10)
    line(12, f"Certificate id {certificate['_id']}", height=8)
    line(12, f"Verify at {verify_url}", height=8)
    return {
        "content_type": "application/pdf",
        "filename": f"certificate-{certificate['_id']}.pdf",
        "body_base64": base64.b64encode(bytes(document.output())).decode("ascii"),
    }


def verify_link(config, certificate_id):
    """The public verification page, under the gateway's public address (GATEWAY.PUBLIC_BASE_URL)."""
    base = (config.get("GATEWAY") or {}).get("PUBLIC_BASE_URL") or f"http://{config.get('WEB_SERVER_ADDRESS', '')}"
    return f"{str(base).rstrip('/')}/verify/{certificate_id}"


def require_manager(caller, certificate):
    """Revoking and reissuing: an admin, or the instructor of the certificate's course."""
    caller.require_user()
    if caller.is_admin or (certificate.get("instructor_id") and certificate["instructor_id"] == caller.user_id):
        return
    raise Forbidden("Only an admin or the course's instructor can do this")


def revoke(db, announce, caller, certificate_id, reason):
    certificate = find(db, certificate_id)
    require_manager(caller, certificate)
    if certificate.get("replaced_by"):
        raise Conflict("This certificate was replaced", {"replaced_by": [certificate["replaced_by"]]})
    now = _now()
    # One conditional write: of two concurrent revocations one wins, the other gets 409.
    changed = db[CERTIFICATES].find_one_and_update(
        {"_id": certificate["_id"], "revoked_at": None, "replaced_by": None},
        {"$set": {"revoked_at": now, "revoked_by": caller.user_id, "revocation_reason": reason}},
        return_document=True,
    )
    if changed is None:
        raise Conflict("This certificate is already revoked or replaced")
    announce(
        events.CERTIFICATE_REVOKED,
        user_id=certificate["user_id"],
        course_id=certificate["course_id"],
        certificate_id=certificate["_id"],
        course_title=certificate["course_title"],
        holder_name=certificate["holder_name"],
        reason=reason,
        revoked_by=caller.user_id,
        revoked_at=isoformat(now),
    )
    return changed


def reissue(db, announce, caller, certificate_id, reason, holder_name, key):
    """A new certificate for the same learner and course; the old one then says which one replaced it.

    Each step may be repeated: a request that died after the insert is finished by the next attempt (which
    links the old one and saves the event under the same id, so consumers see it once) and answers 409."""
    old = db[CERTIFICATES].find_one({"_id": str(certificate_id)})  # as stored: a missing link is repaired below
    if old is None:
        raise NotFound("No such certificate")
    require_manager(caller, old)
    if old.get("replaced_by"):
        raise Conflict("This certificate was already replaced", {"replaced_by": [old["replaced_by"]]})
    course = {"_id": old["course_id"], "title": old["course_title"], "instructor_id": old.get("instructor_id")}
    number = (old.get("reissue") or 0) + 1
    new, created = issue(db, old["user_id"], course, holder_name or old["holder_name"], key, number, old["_id"], reason)
    db[CERTIFICATES].update_one(
        {"_id": old["_id"], "replaced_by": None}, {"$set": {"replaced_by": new["_id"], "replaced_at": new["issued_at"]}}
    )
    announce(
        events.CERTIFICATE_REISSUED,
        user_id=old["user_id"],
        course_id=old["course_id"],
        envelope_id=f"certificate-reissued-{new['_id']}",
        certificate_id=new["_id"],
        replaces=old["_id"],
        course_title=old["course_title"],
        holder_name=new["holder_name"],
        reason=new.get("reissue_reason"),
        reissued_by=caller.user_id,
    )
    if not created:
        raise Conflict("This certificate was already replaced", {"replaced_by": [new["_id"]]})
    return find(db, new["_id"])
