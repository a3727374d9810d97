"""Secret keys the training service makes for itself when config gives none (common/stored_keys.py)."""

from nameko.extensions import DependencyProvider

from common import stored_keys
from common.mongo import database_for

KEYS_COLLECTION = "media_keys"  # the name it had when media links were its only user
MEDIA_LINKS = "url_signing"
CERTIFICATES = "certificate_signing"


def stored_secret(database, name=MEDIA_LINKS):
    """The key called ``name`` (bytes), made on first use."""
    return stored_keys.stored_secret(database[KEYS_COLLECTION], name)


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
