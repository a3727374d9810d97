from types import SimpleNamespace

import mongomock

from training import keys


def test_each_key_is_made_once_and_shared_by_replicas():
    database = mongomock.MongoClient().db
    links = keys.stored_secret(database, keys.MEDIA_LINKS)
    certificates = keys.stored_secret(database, keys.CERTIFICATES)
    assert len(certificates) >= 32 and certificates != links
    assert keys.stored_secret(database, keys.CERTIFICATES) == certificates  # another replica, same database
    assert keys.stored_secret(mongomock.MongoClient().db, keys.CERTIFICATES) != certificates


def key_provider(config, database):
    provider = keys.CertificateKey()
    provider.container = SimpleNamespace(config=config, service_name="training")
    provider.setup()
    provider.database = database  # the one this test looks at (setup names the service's own)
    return provider


def test_certificates_are_signed_with_the_stored_key_unless_config_gives_one():
    database = mongomock.MongoClient().db
    stored = key_provider({"TRAINING": {"CERTIFICATE_SIGNING_KEY": ""}}, database)
    assert stored.get_dependency(None) == keys.stored_secret(database, keys.CERTIFICATES).decode()
    database.drop_collection(keys.KEYS_COLLECTION)
    assert stored.get_dependency(None) != keys.stored_secret(database, keys.CERTIFICATES).decode()  # looked up once
    configured = key_provider({"TRAINING": {"CERTIFICATE_SIGNING_KEY": "from-config"}}, database)
    assert configured.get_dependency(None) == "from-config"
