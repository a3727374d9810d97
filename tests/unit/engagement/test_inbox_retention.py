import mongomock
import pytest

from engagement import store as engagement_store
from notifications import store as notifications_store


@pytest.mark.parametrize("store", [notifications_store, engagement_store])
def test_handled_events_expire_from_the_inbox_after_the_retention(store):
    db = mongomock.MongoClient().db
    store.ensure_indexes(db)
    ttl = [index for index in db[store.INBOX].index_information().values() if "expireAfterSeconds" in index]
    assert [(index["key"], index["expireAfterSeconds"]) for index in ttl] == [
        ([("processed_at", 1)], store.INBOX_RETENTION_SECONDS)
    ]
    assert store.INBOX_RETENTION_SECONDS >= 7 * 86400  # well past any redelivery
