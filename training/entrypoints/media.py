"""Entrypoints of course media: metadata here, bytes in S3 or under var/media (``training/media_storage.py``)."""

from common.contracts import accepts
from common.pagination import page_of
from common.rpc import rpc
from training import contracts
from training.media import view
from training.media_library import MediaLibrary


class MediaEntrypoints:
    def _library(self):
        return MediaLibrary(self.store.media, self.media_storage, self.caller, self.events)

    @rpc
    @accepts(contracts.MediaUploadRequest)
    def request_media_upload(self, filename, content_type, size, public):
        return self._library().request_upload(filename, content_type, size, public)

    @rpc
    @accepts(contracts.MediaLink)
    def put_media_content(self, media_id, token, body_base64=None, content_type=None):
        return self._library().put_content(media_id, token, body_base64, content_type)

    @rpc
    def complete_media_upload(self, media_id):
        return self._library().complete_upload(media_id)

    @rpc
    @accepts(contracts.MediaSearch)
    def list_media(self, page, page_size, owner_id=None):
        items, total = self._library().listing(page, page_size, owner_id)
        return page_of(items, total, page, page_size)

    @rpc
    def get_media(self, media_id):
        return view(self._library().viewable(media_id))

    @rpc
    @accepts(contracts.MediaChanges, changes="changes")
    def update_media(self, media_id, changes):
        return self._library().change(media_id, changes)

    @rpc
    def delete_media(self, media_id):
        return self._library().delete(media_id)

    @rpc
    def get_media_url(self, media_id):
        return self._library().url(media_id)

    @rpc
    @accepts(contracts.MediaLink)
    def get_media_content(self, media_id, token):
        return self._library().content(media_id, token)
