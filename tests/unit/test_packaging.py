"""The Docker packaging: docker-compose.yml, the Dockerfile and docs/deployment.md agree with the code."""

import importlib
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PLATFORM_SERVICES = ("gateway", "auth", "users", "training", "coaching", "events", "notifications", "engagement")
INFRASTRUCTURE = ("rabbitmq", "postgres", "mongo", "redis")
MIGRATED = ("auth", "users")
# Containers start services with `python -m common.run`: `nameko run`'s arguments, after a configuration check.
NAMEKO_RUN = re.compile(r"python -m common\.run --config config\.yaml ([\w.:]+)")
COMPOSE_DEFAULT = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def resolve(value):
    """Docker Compose interpolation with every variable at its default."""
    return COMPOSE_DEFAULT.sub(lambda match: match.group(2) or "", str(value))


def compose_loader():
    """A SafeLoader without the ``${VAR:default}`` resolver that loading config.yaml (nameko's
    ``setup_yaml_parser``) adds to SafeLoader for the whole process: Compose files mean ``${VAR:-default}``."""

    class ComposeLoader(yaml.SafeLoader):
        pass

    ComposeLoader.yaml_implicit_resolvers = {
        first: [resolver for resolver in resolvers if resolver[0] != "!env_var"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return ComposeLoader


@pytest.fixture(scope="module")
def compose():
    with open(ROOT / "docker-compose.yml") as stream:
        return yaml.load(stream, Loader=compose_loader())  # noqa: S506 -- a SafeLoader subclass


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def command_text(service):
    command = service["command"]
    return command if isinstance(command, str) else shlex.join(command)


def run_target(service):
    found = NAMEKO_RUN.findall(command_text(service))
    assert len(found) == 1, f"one `python -m common.run --config config.yaml ...` expected in {service['command']!r}"
    return found[0]


def test_compose_format_is_one_debian_docker_compose_accepts(compose):
    assert compose["version"] == "3.8"


@pytest.mark.parametrize("name", PLATFORM_SERVICES + INFRASTRUCTURE + ("bootstrap",))
def test_every_container_is_defined(services, name):
    assert name in services


@pytest.mark.parametrize("name", INFRASTRUCTURE)
def test_infrastructure_has_a_healthcheck(services, name):
    assert services[name]["healthcheck"]["test"]


def test_infrastructure_images(services):
    assert services["rabbitmq"]["image"] == "rabbitmq:3-management"
    assert services["postgres"]["image"] == "postgres:15"
    assert services["mongo"]["image"] == "mongo:7"
    assert services["redis"]["image"] == "redis:7"


def test_postgres_creates_the_auth_and_users_databases(services):
    mounts = [volume for volume in services["postgres"]["volumes"] if "/docker-entrypoint-initdb.d" in volume]
    assert len(mounts) == 1
    script = (ROOT / mounts[0].split(":")[0]).read_text()
    for database in ("auth", "users"):
        assert re.search(rf"CREATE DATABASE {database}\b", script, re.IGNORECASE)


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_command_runs_its_own_service_module(services, name):
    module, _, class_name = run_target(services[name]).partition(":")
    assert module == f"{name}.service"


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_command_module_defines_the_service(services, name):
    """What `nameko run` would start: exactly the service class named like the container."""
    from nameko.cli.run import import_service

    target = run_target(services[name])
    module = importlib.import_module(target.partition(":")[0])
    assert any(isinstance(obj, type) and getattr(obj, "name", None) == name for obj in vars(module).values())
    started = import_service(target)
    assert [getattr(cls, "name", None) for cls in started] == [name], f"`nameko run {target}` would start {started}"


@pytest.mark.parametrize("name", MIGRATED)
def test_sql_services_migrate_before_they_serve(services, name):
    command = command_text(services[name])
    migrate = f"python -m common.migrations upgrade {name}"
    assert migrate in command
    assert command.index(migrate) < command.index("python -m common.run")
    assert re.search(rf"{re.escape(migrate)}\s*&&", command), "the service must not start when migrating fails"


@pytest.mark.parametrize("name", PLATFORM_SERVICES + ("bootstrap",))
def test_platform_containers_share_the_image_and_environment(services, name):
    service = services[name]
    assert service["build"] == "."
    environment = {key: resolve(value) for key, value in service["environment"].items()}
    assert environment["AMQP_URI"] == "pyamqp://guest:guest@rabbitmq:5672/"
    assert environment["AUTH_DB_URI"] == "postgresql+psycopg2://postgres:postgres@postgres:5432/auth"
    assert environment["USERS_DB_URI"] == "postgresql+psycopg2://postgres:postgres@postgres:5432/users"
    assert environment["MONGO_URI"] == "mongodb://mongo:27017"


@pytest.mark.parametrize("name", PLATFORM_SERVICES)
def test_every_service_container_serves_its_own_metrics(services, name):
    port = int(resolve(services[name]["environment"]["METRICS_PORT"]))
    assert port > 0  # each container its own network address, so every one can use the same port


def test_the_environment_names_what_config_yaml_reads(services):
    read = set(re.findall(r"\$\{(\w+):", (ROOT / "config.yaml").read_text()))
    for key in ("AMQP_URI", "AUTH_DB_URI", "USERS_DB_URI", "MONGO_URI", "WEB_SERVER_ADDRESS", "ADMIN_EMAIL"):
        assert key in read
    assert set(services["gateway"]["environment"]) - {"REDIS_URL"} <= read


def test_only_the_gateway_publishes_a_port(services):
    assert resolve(services["gateway"]["environment"]["WEB_SERVER_ADDRESS"]) == "0.0.0.0:8000"
    assert [resolve(port) for port in services["gateway"]["ports"]] == ["8000:8000"]
    for name in PLATFORM_SERVICES + ("bootstrap",):
        if name != "gateway":
            assert "ports" not in services[name], f"{name} could not scale with a fixed port"


@pytest.mark.parametrize("name", PLATFORM_SERVICES + INFRASTRUCTURE + ("bootstrap",))
def test_no_container_name_so_services_scale(services, name):
    assert "container_name" not in services[name]


def test_bootstrap_is_a_one_shot_after_users_and_auth(services):
    bootstrap = services["bootstrap"]
    assert command_text(bootstrap) == "python -m bootstrap"
    assert {"users", "auth"} <= set(bootstrap["depends_on"])
    assert not str(bootstrap.get("restart", "no")).startswith(("always", "unless-stopped"))


def test_dockerfile_is_slim_pinned_and_not_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.MULTILINE)
    assert "--require-hashes -r requirements.lock" in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    requirements = [
        line.split("#")[0].strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    assert all("==" in requirement for requirement in requirements), "requirements.txt must pin every package"


LOCKED = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


def pins(path):
    """``{normalized name: version}`` of the pinned lines of a requirements or lock file."""
    return {
        re.sub(r"[-_.]+", "-", name).lower(): version for name, version in LOCKED.findall((ROOT / path).read_text())
    }


@pytest.mark.parametrize(
    ("wanted", "lock"), [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")]
)
def test_lock_files_hold_every_pin_with_hashes(wanted, lock):
    """make, the Dockerfile and CI install from the locks with --require-hashes: they must be current
    (`make lock` after changing a requirements file) and hash every package."""
    locked = pins(lock)
    for name, version in pins(wanted).items():
        assert locked.get(name) == version, f"{name}=={version} is not in {lock}: run `make lock`"
    text = (ROOT / lock).read_text()
    assert text.count("--hash=sha256:") >= len(locked), f"{lock} must carry a hash for every package"
    if wanted == "requirements-dev.txt":
        assert pins("requirements.lock").items() <= locked.items(), "the dev lock must keep the runtime versions"


def test_make_installs_from_the_locks():
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements.lock" in makefile
    assert "--require-hashes -r requirements-dev.lock" in makefile


def make_rule(makefile, target):
    """``(prerequisites, recipe lines)`` of ``target`` in the Makefile."""
    match = re.search(rf"^{re.escape(target)}:(.*)\n((?:\t.*\n)*)", makefile, re.MULTILINE)
    assert match, target
    return match.group(1).split(), [line.strip() for line in match.group(2).splitlines()]


def test_make_run_installs_only_the_runtime_with_progress_and_ci_runs_make_test():
    makefile = (ROOT / "Makefile").read_text()
    run_needs, _ = make_rule(makefile, "run")
    assert "$(BIN)/.runtime" in run_needs and "$(BIN)/.installed" not in run_needs and "install" not in run_needs
    _, runtime = make_rule(makefile, "$(BIN)/.runtime")
    assert any(line.startswith("@echo") for line in runtime)  # says what it does before the long install
    (pip,) = [line for line in runtime if "pip install" in line and "requirements.lock" in line]
    assert "--progress-bar on" in pip and "-q" not in pip.split()
    test_needs, _ = make_rule(makefile, "test")
    assert "install" in test_needs  # the test and lint tools come with `make test` only
    assert "make test" in (ROOT / ".ci" / "run").read_text()  # CI installs through make, from the locks


def test_the_readme_says_how_to_change_the_port():
    readme = (ROOT / "README.md").read_text()
    assert "`WEB_SERVER_ADDRESS=127.0.0.1:9000 make run`" in readme
    assert "WEB_SERVER_ADDRESS: ${WEB_SERVER_ADDRESS:" in (ROOT / "config.yaml").read_text()


def test_dockerignore_keeps_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".venv", ".git", "var"):
        assert entry in ignored


def test_the_rpc_calls_in_the_deployment_docs_exist():
    calls = set(re.findall(r"n\.rpc\.(\w+)\.(\w+)\(", (ROOT / "docs" / "deployment.md").read_text()))
    assert {service for service, _ in calls} == set(PLATFORM_SERVICES) - {"gateway"}
    for service, method in sorted(calls):
        module = importlib.import_module(f"{service}.service")
        classes = [
            obj for obj in vars(module).values() if isinstance(obj, type) and getattr(obj, "name", None) == service
        ]
        assert classes, f"no service class named {service!r}"
        assert getattr(getattr(classes[0], method, None), "nameko_entrypoints", None), f"{service}.{method} is no RPC"


def test_docker_compose_accepts_the_file():
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail(
            "docker-compose is not on PATH: install Debian's docker-compose "
            "(apt-get update && apt-get install -y docker-compose); no Docker engine is needed"
        )
    result = subprocess.run(
        [binary, "-f", "docker-compose.yml", "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
