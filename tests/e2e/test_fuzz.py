"""Schema fuzzing of every route (schemathesis): no generated request gets a server error.

The running platform's own ``/openapi.json`` drives it, as an admin and as an anonymous caller, with data that fits
the schemas (reaching the services) and data that does not (testing validation). The suite runs a few examples per
operation; ``make fuzz`` sets ``FUZZ_EXAMPLES`` for a longer run. A 503 counts only when it names a service that
is absent on purpose (none is, here), so every 5xx is a failure.
"""

import contextlib
import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.e2e.test_account_flow import ADMIN, create_admin

ANSWERED = Counter()  # status: count, to show that the run reached the services
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))


@pytest.fixture
def platform_config(platform_config):
    # The sign-in routes' rate limit would answer most generated requests with 429 before they reach a service.
    gateway = platform_config["GATEWAY"]
    return {**platform_config, "GATEWAY": {**gateway, "RATE_LIMITS": {**gateway["RATE_LIMITS"], "auth": "100000/60"}}}


def server_errors(operation, mode, headers, base_url, session):
    """``[(status, curl command, answer)]`` of the 5xx answers to ``EXAMPLES`` generated requests."""
    found = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report what was found, fast
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def run(case):
        response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
        ANSWERED[response.status_code] += 1
        if response.status_code >= 500:
            found.append((response.status_code, case.as_curl_command()[:600], response.text[:300]))

    with contextlib.suppress(Unsatisfiable):  # negative mode, when a schema leaves nothing invalid to generate
        run()
    return found


@pytest.mark.timeout(int(os.environ.get("FUZZ_TIMEOUT", "240")))
def test_no_generated_request_gets_a_server_error(api, platform):
    create_admin(platform)
    admin = api.login(*ADMIN)["access_token"]
    schema = schemathesis.openapi.from_url(api.base_url + "/openapi.json")
    callers = {"admin": {"Authorization": f"Bearer {admin}"}, "anonymous": {}}
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for caller, headers in callers.items():
            if caller == "anonymous" and operation.definition.raw.get("security"):
                continue  # refused with 401 before its input is read: nothing to fuzz
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                found = server_errors(operation, mode, headers, api.base_url, api.session)
                if found:  # the first of each operation's, and how many there were
                    status, sent, answer = found[0]
                    failures.append(f"{caller} {mode.value}, {len(found)} times, e.g. {status} for {sent}: {answer}")
    print("fuzzing answers by status:", sorted(ANSWERED.items()))
    assert operations > 100 and sum(ANSWERED[status] for status in (200, 201)) > 50
    assert not failures, "\n".join(failures)
