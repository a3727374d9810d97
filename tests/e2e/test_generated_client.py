"""A client generated from /openapi.json (openapi-python-client) logs in with the document's own example and
reads the catalog: the document is complete enough to build on."""

import importlib
import json
import os
import subprocess
import sys

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

import bootstrap

PACKAGE = "lnd_generated_client"


@pytest.fixture
def demo_platform(platform):
    with ClusterRpcProxy(platform) as rpc:
        bootstrap.seed(rpc.users, platform, demo=True)
        bootstrap.seed_demo(platform, rpc)
    return platform


@pytest.fixture
def generated_client(api, tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(api.get("/openapi.json").json()))
    bin_dir = os.path.dirname(sys.executable)
    subprocess.run(
        [os.path.join(bin_dir, "openapi-python-client"), "generate", "--path", str(spec)]
        + ["--output-path", str(tmp_path / PACKAGE), "--meta", "none"],
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"},
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def test_generated_client_logs_in_and_reads_the_catalog(api, demo_platform, generated_client):
    spec = api.get("/openapi.json").json()
    example = spec["paths"]["/auth/login"]["post"]["requestBody"]["content"]["application/json"]["example"]
    client_module = importlib.import_module(f"{PACKAGE}.client")
    login = importlib.import_module(f"{PACKAGE}.api.auth.auth_login")
    login_body = importlib.import_module(f"{PACKAGE}.models.login_body").LoginBody
    list_courses = importlib.import_module(f"{PACKAGE}.api.training.training_list_courses")
    base_url = f"http://{demo_platform['WEB_SERVER_ADDRESS']}"

    answer = login.sync_detailed(client=client_module.Client(base_url=base_url), body=login_body.from_dict(example))
    assert answer.status_code == 200, answer.content
    token = json.loads(answer.content)["data"]["access_token"]
    assert answer.parsed.success is True

    authenticated = client_module.AuthenticatedClient(base_url=base_url, token=token)
    catalog = list_courses.sync_detailed(client=authenticated)
    assert catalog.status_code == 200
    titles = [course["title"] for course in json.loads(catalog.content)["data"]["items"]]
    assert bootstrap.DEMO_COURSE_TITLE in titles
