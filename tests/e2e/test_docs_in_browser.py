"""/docs in a real browser, with no network but the gateway: the operations list shows, and "Authorize" plus
"Try it out" on GET /users/profile gets a 200."""

import json
import subprocess
import sys

from common.config import ROOT
from tests.e2e.test_account_flow import ADMIN, create_admin


def test_swagger_ui_works_offline_and_tries_a_call(api, platform):
    create_admin(platform)
    token = api.login(*ADMIN)["access_token"]
    finished = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "support" / "swagger_browser.py")]
        + [f"http://{platform['WEB_SERVER_ADDRESS']}", token],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    result = json.loads(finished.stdout)
    assert result["operations"] > 100
    assert result["status"] == "200"
    assert result["refused"] == []  # nothing was asked of any other host: no CDN
