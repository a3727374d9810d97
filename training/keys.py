"""Secret keys the training service makes for itself when config gives none.

Each is made once, kept in the database and so shared by every replica; a key
that lived only in config.yaml's defaults would be known to anyone who read
the repository.
"""

import secrets

from nameko.extensions import DependencyProvider
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from common.mongo import database_for

KEYS_COLLECTION = "media_keys"  # the name it had when media links were its only user
MEDIA_LINKS = "url_signing"
CERTIFICATES = "certificate_signing"


def stored_secret(database, name=MEDIA_LINKS):
    """The key called ``name`` (bytes), made on first use."""
    collection = database[KEYS_COLLECTION]
    try:
        doc = collection.find_one_and_update(
            {"_id": name},
            {"$setOnInsert": {"secret": secrets.token_urlsafe(32)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError:  # a concurrent first start won the upsert
        doc = collection.find_one({"_id": name})
    return doc["secret"].encode()


class CertificateKey(DependencyProvider):
    """The key that signs certificates: TRAINING.CERTIFICATE_SIGNING_KEY, or else the stored one, looked up
    once per process (verification is public and frequent: no database round trip per request)."""

    def setup(self):
        self.key = str((self.container.config.get("TRAINING") or {}).get("CERTIFICATE_SIGNING_KEY") or "") or None
        self.database = database_for(self.container)

    def get_dependency(self, worker_ctx):
        if self.key is None:
            self.key = stored_secret(self.database, CERTIFICATES).decode()
        return self.key
