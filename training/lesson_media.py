"""Lessons that show uploaded media: a lesson keeps the media's id (``media_id``), never a link, and each read
mints a fresh time-limited link (S3 presigned, CloudFront signed or the gateway's signed download), so a
course never holds a link that has expired."""

from training import media


def check_attachable(items, caller, media_id):
    """The instructor attaches media they uploaded (admins any): 404 for an unknown id, 403 for another's."""
    if media_id is not None:
        media.require_manage(items.get(media_id), caller)


def with_links(lessons, items, storage):
    """Each readable lesson with a ``media_id`` gets ``media_url`` (and its ``media_url_expires_at``) minted now;
    one query for all of them. Media not uploaded (or deleted since) gives no link."""
    wanted = [lesson for lesson in lessons if lesson.get("media_id") and not lesson.get("content_locked")]
    if not wanted:
        return lessons
    ids = sorted({lesson["media_id"] for lesson in wanted})
    docs = {doc["_id"]: doc for doc in items.collection.find({"_id": {"$in": ids}, "status": media.UPLOADED})}
    for lesson in wanted:
        doc = docs.get(lesson["media_id"])
        link = storage.download_url(doc) if doc is not None else {"url": None, "expires_at": None}
        lesson["media_url"] = link["url"]
        lesson["media_url_expires_at"] = link["expires_at"]
        if "video_link" in lesson:
            lesson["video_link"] = link["url"]
    return lessons


def in_course(view, items, storage):
    """A course view (``modules`` with their lessons) with its media links minted."""
    with_links([lesson for module in view.get("modules", []) for lesson in module["lessons"]], items, storage)
    return view
