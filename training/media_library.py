"""The media flows behind the media RPCs: uploads (presigned to S3 or through the gateway), listing, sharing,
links and deletion. Metadata in the ``media`` collection (``store.MediaItems``); bytes in the storage backend
(``media_storage``); the rules in ``media``. A rename, a share and a deletion are announced (MEDIA_UPDATED,
MEDIA_DELETED; ``user_id`` is the owner, the envelope's ``actor_id`` who did it)."""

from common import events
from common.changes import changes_between
from common.clock import utcnow
from common.exceptions import PayloadTooLarge, ValidationError
from common.pagination import offset_of
from common.roles import ADMIN, INSTRUCTOR
from training import media


class MediaLibrary:
    def __init__(self, items, storage, caller, announce):
        self.items = items
        self.storage = storage
        self.caller = caller
        self.announce = announce  # the service's ``self.events``

    def request_upload(self, filename, content_type, size, public):
        """A new pending item and where to send its bytes: an S3 presigned POST, or the gateway's upload route."""
        owner_id = self.caller.require_user()  # an item always has an owner, even for operators
        self.caller.require_role(INSTRUCTOR, ADMIN)
        content_type = media.allowed_content_type(content_type)
        size = media.check_size(size, self.storage.policy.max_bytes)
        doc = self.items.add(media.new_media(owner_id, filename, content_type, size, utcnow(), public=public))
        return {"media": media.view(doc), "upload": self.storage.upload_target(doc)}

    def put_content(self, media_id, token, body_base64, content_type):
        """The upload route of local storage; its signed token is the credential, as an S3 presigned URL is."""
        media.require_local_storage(self.storage.kind)
        media_id = media.parse_media_id(media_id)
        self.storage.check_token(media.UPLOAD_PURPOSE, media_id, token)
        doc = self.items.get(media_id)
        data = media.decode_upload(doc, body_base64, content_type)
        self.storage.write(doc["storage_key"], data)
        self.items.mark_uploaded(media_id, len(data), utcnow(), only_once=True)
        return media.view(self.items.get(media_id))

    def complete_upload(self, media_id):
        """After a direct upload to S3: check what the bucket holds and mark the item uploaded."""
        doc = self.managed(media_id)
        if doc["status"] == media.PENDING:
            try:
                stored = media.check_stored(doc, self.storage.stat(doc["storage_key"]))
            except (PayloadTooLarge, ValidationError):
                # Bytes that break the declaration do not stay in the bucket; the upload target still works.
                self.storage.delete(doc["storage_key"])
                raise
            self.items.mark_uploaded(doc["_id"], stored["size"], utcnow())
        return media.view(self.items.get(doc["_id"]))

    def listing(self, page, page_size, owner_id=None):
        """The caller's items; admins see everyone's, or one uploader's."""
        if self.caller.is_admin:
            criteria = {"owner_id": owner_id} if owner_id is not None else {}
        else:
            criteria = {"owner_id": self.caller.require_user()}
        docs, total = self.items.page(criteria, offset_of(page, page_size), page_size)
        return [media.view(doc) for doc in docs], total

    def viewable(self, media_id):
        doc = self.items.get(media_id)
        media.require_view(doc, self.caller)
        return doc

    def managed(self, media_id):
        doc = self.items.get(media_id)
        media.require_manage(doc, self.caller)
        return doc

    def change(self, media_id, changes):
        """The owner or an admin renames an item or shares it (``public``: any signed-in user may get a URL)."""
        doc = self.managed(media_id)
        if "filename" in changes:
            changes["filename"] = media.safe_filename(changes["filename"])
        changed = self.items.change(doc["_id"], changes)
        found = changes_between(doc, changed, sorted(changes))
        if found:
            self._announce(events.MEDIA_UPDATED, changed, changes=found)
        return media.view(changed)

    def delete(self, media_id):
        doc = self.managed(media_id)
        self.storage.delete(doc["storage_key"])
        if self.items.delete(doc["_id"]):
            self._announce(events.MEDIA_DELETED, doc)
        return {"deleted": True, "id": doc["_id"]}

    def _announce(self, event_type, doc, **metadata):
        self.announce(event_type, user_id=doc["owner_id"], media_id=doc["_id"], filename=doc["filename"], **metadata)

    def url(self, media_id):
        """A time-limited URL: S3 presigned GET, CloudFront signed URL, or the gateway's signed download link."""
        doc = self.viewable(media_id)
        media.require_uploaded(doc)
        link = self.storage.download_url(doc)
        return {"id": doc["_id"], "content_type": doc["content_type"], "filename": doc["filename"], **link}

    def content(self, media_id, token):
        """The download route of local storage; the signed, expiring token from ``url`` is the credential."""
        media.require_local_storage(self.storage.kind)
        media_id = media.parse_media_id(media_id)
        self.storage.check_token(media.DOWNLOAD_PURPOSE, media_id, token)
        doc = self.items.get(media_id)
        media.require_uploaded(doc)
        return media.file_of(doc, self.storage.read(doc["storage_key"]))
