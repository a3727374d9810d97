"""Secret keys a service makes for itself when config gives none.

Each is made once, kept in the service's MongoDB database and so shared by every replica; a key that lived
only in config.yaml's defaults would be known to anyone who read the repository.
"""

import secrets

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError


def stored_secret(collection, name):
    """The key called ``name`` (bytes) in ``collection``, made on first use."""
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
