import io
import json
import logging
import logging.config
from types import SimpleNamespace

import pytest

from common import logs
from common.config import load_config


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def configured_logger(monkeypatch, log_format):
    monkeypatch.setenv("LOG_FORMAT", log_format)
    config = load_config()["LOGGING"]
    logging.config.dictConfig(config)
    stream = io.StringIO()
    logging.getLogger().handlers[0].setStream(stream)
    return logging.getLogger("tests.logs"), stream


def fake_worker(request_id="req-1", user_id="user-9"):
    return SimpleNamespace(
        service_name="users",
        data={"request_id": request_id, "user_id": user_id},
        entrypoint=SimpleNamespace(method_name="get_profile"),
    )


def test_json_lines_carry_the_worker_context(monkeypatch):
    logger, stream = configured_logger(monkeypatch, "json")
    provider = logs.WorkerLogContext()
    worker = fake_worker()
    provider.worker_setup(worker)
    try:
        logger.warning("something %s", "happened")
    finally:
        provider.worker_teardown(worker)
    logger.warning("outside")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "something happened" and first["level"] == "WARNING"
    assert (first["service"], first["request_id"], first["user_id"], first["entrypoint"]) == (
        "users",
        "req-1",
        "user-9",
        "get_profile",
    )
    assert first["time"].endswith("Z") and first["logger"] == "tests.logs"
    assert second["request_id"] == "-" and second["service"] == "-"


def test_plain_lines_show_service_and_request_id(monkeypatch):
    logger, stream = configured_logger(monkeypatch, "plain")
    provider = logs.WorkerLogContext()
    provider.worker_setup(fake_worker(request_id="abc"))
    logger.warning("hello")
    provider.worker_teardown(None)
    assert " WARNING users tests.logs [abc] hello" in stream.getvalue()


def test_exceptions_stay_inside_the_one_json_line(monkeypatch):
    logger, stream = configured_logger(monkeypatch, "json")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    (line,) = stream.getvalue().splitlines()
    assert "ValueError: boom" in json.loads(line)["exception"]
