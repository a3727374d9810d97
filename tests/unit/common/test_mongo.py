from unittest.mock import Mock

from common.mongo import MongoDatabase, client_for


def test_services_in_one_process_share_a_mock_server_per_uri_and_get_indexes_at_start():
    calls = []
    container = Mock(service_name="training", config={"MONGO_URI": "mongomock://unit", "MONGO_DB_PREFIX": "t_"})
    provider = MongoDatabase(ensure_indexes=calls.append).bind(container, "db")
    provider.setup()
    provider.start()
    database = provider.get_dependency(Mock())
    assert database.name == "t_training" and calls == [database]
    database.things.insert_one({"_id": 1})
    # Another provider (another service in embedded mode) on the same URI sees the same server.
    assert client_for("mongomock://unit")["t_training"].things.count_documents({}) == 1
    assert client_for("mongomock://other")["t_training"].things.count_documents({}) == 0
