import mongomock
from nameko.testing.services import worker_factory

from training import keys
from training.service import TrainingService


def test_each_key_is_made_once_and_shared_by_replicas():
    database = mongomock.MongoClient().db
    links = keys.stored_secret(database, keys.MEDIA_LINKS)
    certificates = keys.stored_secret(database, keys.CERTIFICATES)
    assert len(certificates) >= 32 and certificates != links
    assert keys.stored_secret(database, keys.CERTIFICATES) == certificates  # another replica, same database
    assert keys.stored_secret(mongomock.MongoClient().db, keys.CERTIFICATES) != certificates


def test_certificates_are_signed_with_the_stored_key_unless_config_gives_one():
    database = mongomock.MongoClient().db
    worker = worker_factory(TrainingService, db=database)
    worker.config = {"TRAINING": {"CERTIFICATE_SIGNING_KEY": ""}}
    assert worker._signing_key == keys.stored_secret(database, keys.CERTIFICATES).decode()
    worker.config = {"TRAINING": {"CERTIFICATE_SIGNING_KEY": "from-config"}}
    assert worker._signing_key == "from-config"
