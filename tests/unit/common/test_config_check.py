"""The start-up checks: each bad value is one line naming the variable that set it."""

import copy

import pytest

from common.config import load_config
from common.config_check import (
    StartupError,
    check_config,
    default_credentials,
    default_of,
    problems,
    refuse_default_admin_password,
    setting_name,
)


@pytest.fixture
def config():
    return copy.deepcopy(load_config())


def test_the_shipped_defaults_pass(config):
    assert problems(config) == []
    check_config(config)


def test_names_and_defaults_come_from_config_yaml():
    assert setting_name(("max_workers",)) == "MAX_WORKERS"
    assert setting_name(("LOGGING", "root", "level")) == "LOG_LEVEL"
    assert setting_name(("GATEWAY", "RATE_LIMITS", "auth")) == "GATEWAY_AUTH_RATE_LIMIT"
    assert setting_name(("DB_URIS", "users:Base")) == "USERS_DB_URI"
    assert setting_name(("serializer",)) == "serializer"
    assert default_of(("ADMIN", "PASSWORD")) == "admin-change-me"


@pytest.mark.parametrize(
    ("path", "value", "name"),
    [
        (("max_workers",), "abc", "MAX_WORKERS"),
        (("max_workers",), 0, "MAX_WORKERS"),
        (("GATEWAY", "RATE_LIMITS", "auth"), "lots", "GATEWAY_AUTH_RATE_LIMIT"),
        (("GATEWAY", "RATE_LIMITS", "auth"), "30/0", "GATEWAY_AUTH_RATE_LIMIT"),
        (("LOGGING", "root", "level"), "verbose", "LOG_LEVEL"),
        (("WEB_SERVER_ADDRESS",), "localhost:http", "WEB_SERVER_ADDRESS"),
        (("WEB_SERVER_ADDRESS",), "127.0.0.1:99999", "WEB_SERVER_ADDRESS"),
        (("AMQP_URI",), "rabbit:5672", "AMQP_URI"),
        (("AMQP_URI",), "amqp://h:port/", "AMQP_URI"),
        (("SERVICE_RPC_TIMEOUT",), "soon", "SERVICE_RPC_TIMEOUT"),
        (("DB_STATEMENT_TIMEOUT_MS",), -1, "DB_STATEMENT_TIMEOUT_MS"),
        (("DB_URIS", "auth:Base"), "not a url", "AUTH_DB_URI"),
        (("NOTIFICATIONS", "ANNOUNCEMENT_PAGE_SIZE"), 500, "NOTIFICATIONS_ANNOUNCEMENT_PAGE_SIZE"),
    ],
)
def test_a_bad_value_is_one_line_naming_its_variable(config, path, value, name):
    *parents, key = path
    holder = config
    for parent in parents:
        holder = holder[parent]
    holder[key] = value
    found = problems(config)
    assert len(found) == 1
    assert name in found[0] and repr(value) in found[0]
    with pytest.raises(StartupError) as raised:
        check_config(config)
    assert str(raised.value) == found[0] and raised.value.code == found[0]  # SystemExit prints it, exit status 1


@pytest.mark.parametrize("value", ["30/60", "5", 5, 0, "0", "off", "", None])
def test_rate_limits_take_what_the_gateway_reads(config, value):
    config["GATEWAY"]["RATE_LIMITS"]["auth"] = value
    assert problems(config) == []


def test_values_a_config_leaves_out_are_not_checked():
    assert problems({"LOGGING": {"version": 1}, "GATEWAY": {}}) == []


def test_the_default_admin_password_is_refused_outside_embedded_mode(config):
    config["AMQP_URI"] = "pyamqp://lnd:s3cret@rabbit:5672/"
    with pytest.raises(StartupError, match="ADMIN_PASSWORD is the default 'admin-change-me'"):
        refuse_default_admin_password(config)
    config["ADMIN"]["PASSWORD"] = "an-own-password"
    refuse_default_admin_password(config)


def test_embedded_mode_keeps_its_default_admin_password(config):
    assert config["AMQP_URI"] == "memory://"
    refuse_default_admin_password(config)


def test_default_broker_and_database_credentials_are_warned_about(config):
    config["AMQP_URI"] = "pyamqp://guest:guest@rabbit:5672/"
    config["DB_URIS"]["users:Base"] = "postgresql+psycopg2://postgres:postgres@db:5432/users"
    warnings = default_credentials(config)
    assert len(warnings) == 2
    assert "AMQP_URI" in warnings[0] and "guest:guest" in warnings[0]
    assert "USERS_DB_URI" in warnings[1] and "postgres:postgres" in warnings[1]
    # No user in the URI is RabbitMQ's guest too; SQLite and own credentials are fine.
    config["AMQP_URI"] = "amqp://rabbit//"
    assert len(default_credentials(config)) == 2
    config.update(AMQP_URI="amqp://lnd:s3cret@rabbit//", DB_URIS={"users:Base": "postgresql://lnd:x@db/users"})
    assert default_credentials(config) == []
    assert default_credentials({**config, "AMQP_URI": "memory://"}) == []
