"""Checks of the configuration before anything starts.

A bad value stops the start with one line naming the environment variable that
set it (``StartupError``), never a traceback from deep inside a library. The
names and defaults come from config.yaml itself (``${NAME:default}``), so the
messages follow the file.
"""

import logging
import re
from urllib.parse import urlsplit

import yaml
from nameko.exceptions import ConfigurationError
from nameko.extensions import DependencyProvider
from nameko.web.server import parse_address
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from common.config import DEFAULT_PATH

log = logging.getLogger(__name__)

ENV_REFERENCE = re.compile(r"^\$\{([^}:\s]+):?(.*)\}$", re.DOTALL)
BROKER_SCHEMES = ("memory", "amqp", "pyamqp", "amqps")


class StartupError(SystemExit):
    """A start-up problem the operator must fix: Python prints the message alone and exits with status 1.

    A ``SystemExit`` so that it also ends ``nameko run`` cleanly when raised while a service starts.
    """


# -- the names config.yaml gives its values -------------------------------------


def _raw_config(path=DEFAULT_PATH):
    """config.yaml with every ``${NAME:default}`` left as written (BaseLoader resolves nothing)."""
    with open(path) as stream:
        return yaml.load(stream, Loader=yaml.BaseLoader)  # noqa: S506 -- BaseLoader makes only strings


def _raw_value(path, raw):
    for key in path:
        if not isinstance(raw, dict) or key not in raw:
            return None
        raw = raw[key]
    return raw if isinstance(raw, str) else None


def setting_name(path, raw=None):
    """The environment variable behind a config path (``("max_workers",)`` -> ``MAX_WORKERS``), else the path."""
    match = ENV_REFERENCE.match(_raw_value(path, raw if raw is not None else _raw_config()) or "")
    return match.group(1) if match else ".".join(path)


def default_of(path, raw=None):
    """The default config.yaml gives a value when its variable is unset."""
    match = ENV_REFERENCE.match(_raw_value(path, raw if raw is not None else _raw_config()) or "")
    return match.group(2) if match else None


# -- what a value may be: each answers None or what is wrong -------------------


def whole_number(minimum, maximum=None):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            return f"must be a whole number of at least {minimum}"
        if maximum is not None and value > maximum:
            return f"must be a whole number from {minimum} to {maximum}"
        return None

    return check


def positive_number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return "must be a number of seconds above 0"
    return None


def log_level(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    if value not in logging.getLevelNamesMapping():
        return "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    return None


def log_format(value):
    if value not in ("plain", "json"):
        return "must be plain or json"
    return None


def rate_limit(value):
    if value in (None, "", 0, "0", "off"):
        return None
    if not re.fullmatch(r"[1-9]\d*(/[1-9]\d*)?", str(value).strip()):
        return 'must be "count/seconds" (e.g. 30/60), or 0 for no limit'
    return None


def web_address(value):
    try:
        port = parse_address(str(value)).port
    except ConfigurationError:
        port = None
    if port is None or not 0 < port < 65536:
        return "must be [host:]port, e.g. 127.0.0.1:8000"
    return None


def broker_uri(value):
    try:
        parts = urlsplit(str(value))
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in BROKER_SCHEMES:
        return "must be memory:// or amqp://user:password@host:port/vhost"
    return None


def database_url(value):
    try:
        make_url(str(value))
    except ArgumentError:
        return "must be a database URL such as postgresql+psycopg2://user:password@host:5432/name"
    return None


SETTINGS = (
    (("AMQP_URI",), broker_uri),
    (("WEB_SERVER_ADDRESS",), web_address),
    (("max_workers",), whole_number(1)),
    (("SERVICE_RPC_TIMEOUT",), positive_number),
    (("LOGGING", "root", "level"), log_level),
    (("LOGGING", "handlers", "console", "formatter"), log_format),
    (("METRICS_PORT",), whole_number(0, 65535)),
    (("OUTBOX", "RELAY_INTERVAL"), positive_number),
    (("OUTBOX", "BATCH_SIZE"), whole_number(1)),
    (("DB_CONNECT_TIMEOUT",), positive_number),
    (("DB_STATEMENT_TIMEOUT_MS",), whole_number(1)),
    (("GATEWAY", "RPC_TIMEOUT"), positive_number),
    (("GATEWAY", "HEALTH_TIMEOUT"), positive_number),
    (("GATEWAY", "MAX_BODY_BYTES"), whole_number(1)),
    (("GATEWAY", "RATE_LIMITS", "auth"), rate_limit),
    (("JWT", "ACCESS_TOKEN_TTL"), whole_number(1)),
    (("JWT", "JWKS_REFETCH_SECONDS"), positive_number),
    (("AUTH", "STATE_TTL_SECONDS"), whole_number(1)),
    (("PASSWORD_HASH", "TIME_COST"), whole_number(1)),
    (("PASSWORD_HASH", "MEMORY_COST"), whole_number(8)),
    (("PASSWORD_HASH", "PARALLELISM"), whole_number(1)),
    (("MEDIA", "MAX_BYTES"), whole_number(1)),
    (("MEDIA", "URL_TTL_SECONDS"), whole_number(1)),
    (("MEDIA", "UPLOAD_TTL_SECONDS"), whole_number(1)),
    (("TRAINING", "YOUTUBE_TIMEOUT"), positive_number),
    (("NOTIFICATIONS", "SMTP_PORT"), whole_number(1, 65535)),
    (("NOTIFICATIONS", "HTTP_TIMEOUT"), positive_number),
    (("NOTIFICATIONS", "RETRY_INTERVAL"), positive_number),
    (("NOTIFICATIONS", "DIGEST_INTERVAL"), positive_number),
    (("NOTIFICATIONS", "SEND_LEASE_SECONDS"), positive_number),
    (("NOTIFICATIONS", "ANNOUNCEMENT_PAGE_SIZE"), whole_number(1, 100)),
    (("NOTIFICATIONS", "INLINE_SEND_RECIPIENTS"), whole_number(0)),
    (("NOTIFICATIONS", "MAX_PROCESS_ATTEMPTS"), whole_number(1)),
    (("NOTIFICATIONS", "REQUEUE_DELAY_SECONDS"), positive_number),
    (("ENGAGEMENT", "RETRY_INTERVAL"), positive_number),
    (("ENGAGEMENT", "PROCESS_LEASE_SECONDS"), positive_number),
    (("ENGAGEMENT", "MAX_PROCESS_ATTEMPTS"), whole_number(1)),
    (("ENGAGEMENT", "REQUEUE_DELAY_SECONDS"), positive_number),
    (("ENGAGEMENT", "EVENT_RETRY_SECONDS"), positive_number),
    (("EVENTS", "REMINDER_INTERVAL_SECONDS"), positive_number),
)

MISSING = object()


def _value(config, path):
    for key in path:
        if not isinstance(config, dict) or key not in config:
            return MISSING
        config = config[key]
    return config


def problems(config, raw=None):
    """One line per bad value, naming its variable; values a config leaves out are not checked."""
    checks = list(SETTINGS)
    checks.extend((("DB_URIS", key), database_url) for key in (config.get("DB_URIS") or {}))
    found = []
    for path, check in checks:
        value = _value(config, path)
        if value is MISSING:
            continue
        problem = check(value)
        if problem:
            raw = raw if raw is not None else _raw_config()
            found.append(f"Bad configuration: {setting_name(path, raw)} {problem} (got {value!r})")
    return found


def check_config(config):
    """Raise ``StartupError`` with every bad value, one line each."""
    found = problems(config)
    if found:
        raise StartupError("\n".join(found))


class StartupCheck(DependencyProvider):
    """Checks the config as a service starts, so that ``nameko run`` stops on a bad value with one line."""

    def setup(self):
        check_config(self.container.config)


# -- credentials outside embedded mode -----------------------------------------


def is_embedded(config):
    return str(config.get("AMQP_URI", "")).startswith("memory://")


def default_credentials(config, raw=None):
    """Warnings (one line each) for the broker's and PostgreSQL's well-known default credentials."""
    raw = raw if raw is not None else _raw_config()
    warnings = []
    broker = urlsplit(str(config.get("AMQP_URI", "")))
    if broker.scheme in BROKER_SCHEMES[1:] and (broker.username or "guest", broker.password or "guest") == (
        "guest",
        "guest",
    ):
        warnings.append("SECURITY: AMQP_URI uses RabbitMQ's default guest:guest account; give the broker its own user")
    for key, url in (config.get("DB_URIS") or {}).items():
        try:
            parsed = make_url(str(url))
        except ArgumentError:
            continue
        if parsed.get_backend_name() == "postgresql" and (parsed.username, parsed.password) == ("postgres", "postgres"):
            name = setting_name(("DB_URIS", key), raw)
            warnings.append(f"SECURITY: {name} uses PostgreSQL's default postgres:postgres account; set a password")
    return warnings


def warn_about_default_credentials(config):
    for warning in default_credentials(config):
        log.warning(warning)


def refuse_default_admin_password(config, raw=None):
    """Outside embedded mode the first admin must not get the password everyone can read in config.yaml."""
    raw = raw if raw is not None else _raw_config()
    default = default_of(("ADMIN", "PASSWORD"), raw)
    password = (config.get("ADMIN") or {}).get("PASSWORD")
    if not is_embedded(config) and default and str(password) == default:
        raise StartupError(
            f"Refusing to start: {setting_name(('ADMIN', 'PASSWORD'), raw)} is the default {default!r};"
            " set it to the first admin's own password (the default is only for embedded mode)"
        )


# -- the broker ----------------------------------------------------------------


def check_broker(config, timeout=5):
    """Connect to AMQP_URI once; a broker that cannot be reached is one line, not a kombu traceback."""
    from kombu import Connection

    uri = config.get("AMQP_URI")
    if is_embedded(config):
        return
    connection = Connection(uri, connect_timeout=timeout)
    try:
        connection.connect()
    except Exception as exc:  # socket errors, refused credentials, missing vhost: all are the operator's to fix
        reason = str(exc).strip() or type(exc).__name__
        raise StartupError(
            f"AMQP_URI: cannot connect to the broker at {connection.as_uri()} ({reason});"
            " is RabbitMQ running there, with these credentials and vhost?"
        ) from None
    finally:
        connection.release()


def ready_to_start(config, seeds_admin=True):
    """The checks every start runs, in order: settings, logging, default credentials, the broker.

    ``seeds_admin``: this start creates the first admin, so its default password is refused outside embedded mode."""
    import logging.config

    check_config(config)
    logging.config.dictConfig(config["LOGGING"])
    warn_about_default_credentials(config)
    if seeds_admin:
        refuse_default_admin_password(config)
    check_broker(config)
    return config
