"""Drives /docs in headless Chromium with every request off 127.0.0.1 refused: Authorize, then "Try it out" on
GET /users/profile. Run as a script (Playwright's sync API must not share a process with eventlet):

    python tests/support/swagger_browser.py <base url> <access token>

Prints one JSON object: the operations shown, the status Swagger UI got, and any request it tried off the host.
"""

import json
import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
PROFILE_OPERATION = "#operations-users-users_get_profile_users_profile"


def drive(base_url, token):
    host = urlparse(base_url).netloc
    refused = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        page = browser.new_context().new_page()

        def only_the_gateway(route):
            if urlparse(route.request.url).netloc == host:
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_gateway)
        page.goto(f"{base_url}/docs")
        page.wait_for_selector(".opblock", timeout=20000)
        operations = page.locator(".opblock").count()

        page.click("button.authorize")
        page.fill(".auth-container input", token)
        page.click(".auth-btn-wrapper button.authorize")
        page.click(".auth-btn-wrapper button.btn-done")

        operation = page.locator(PROFILE_OPERATION)
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("button.execute").click()
        status = operation.locator(".live-responses-table .response .response-col_status")
        status.first.wait_for(timeout=20000)
        result = {"operations": operations, "status": status.first.inner_text().strip(), "refused": refused}
        browser.close()
    return result


if __name__ == "__main__":
    print(json.dumps(drive(sys.argv[1], sys.argv[2])))
