"""One-click unsubscribe links: signed, naming a person and a category, working without a login.

A link carries ``{"u": user id, "c": category}`` signed with HMAC (itsdangerous) under the key
NOTIFICATIONS.UNSUBSCRIBE_SIGNING_KEY, or one the service makes and keeps in its database. Links do not
expire: an old email's link still works (what it does, turning one category's email off, is harmless and
undone in the preferences). A changed or made-up token is refused.
"""

from urllib.parse import urlencode

from itsdangerous import BadSignature, URLSafeSerializer
from nameko.extensions import DependencyProvider

from common import stored_keys
from common.exceptions import ValidationError
from common.mongo import database_for
from notifications.contracts import CATEGORIES

SALT = "lnd.notifications.unsubscribe"
KEYS_COLLECTION = "keys"
KEY_NAME = "unsubscribe_signing"


class UnsubscribeLinks:
    def __init__(self, secret, public_base_url):
        self.serializer = URLSafeSerializer(secret, salt=SALT)
        self.base = str(public_base_url).rstrip("/")

    def token(self, user_id, category):
        return self.serializer.dumps({"u": str(user_id), "c": category})

    def url(self, user_id, category):
        return f"{self.base}/notifications/unsubscribe?{urlencode({'token': self.token(user_id, category)})}"

    def read(self, token):
        """``(user_id, category)`` of a genuine token; a 400 for anything else."""
        try:
            data = self.serializer.loads(str(token))
        except BadSignature:
            data = None
        if not isinstance(data, dict) or data.get("c") not in CATEGORIES or not isinstance(data.get("u"), str):
            raise ValidationError("This unsubscribe link is not valid", {"token": ["not valid"]})
        return data["u"], data["c"]


def public_base_url(config):
    """Where people reach the gateway (GATEWAY.PUBLIC_BASE_URL), as the links in emails must say."""
    base = (config.get("GATEWAY") or {}).get("PUBLIC_BASE_URL")
    return base or f"http://{config.get('WEB_SERVER_ADDRESS', '127.0.0.1:8000')}"


class Unsubscribing(DependencyProvider):
    """The service's ``UnsubscribeLinks``; the key is looked up once per process."""

    def setup(self):
        config = self.container.config
        self.key = str((config.get("NOTIFICATIONS") or {}).get("UNSUBSCRIBE_SIGNING_KEY") or "") or None
        self.base = public_base_url(config)
        self.database = database_for(self.container)
        self.links = None

    def get_dependency(self, worker_ctx):
        if self.links is None:
            key = self.key or stored_keys.stored_secret(self.database[KEYS_COLLECTION], KEY_NAME).decode()
            self.links = UnsubscribeLinks(key, self.base)
        return self.links
