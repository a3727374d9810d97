"""The fault suite: the platform on a RabbitMQ node of its own, which the tests stop and start."""

import pytest

from tests.support.private_rabbit import PrivateRabbit


def pytest_configure(config):
    config.addinivalue_line("markers", "faults_full: a fault scenario run by `make faults`, not `make test`")


@pytest.fixture(scope="session")
def private_rabbit():
    rabbit = PrivateRabbit()
    try:
        rabbit.start()
        yield rabbit
    finally:
        rabbit.teardown()


@pytest.fixture
def rabbit(private_rabbit):
    """The private node, running (a test that failed mid-outage leaves it stopped)."""
    from tests.support.private_rabbit import port_open

    if not port_open(private_rabbit.port):
        private_rabbit.start_app()
    return private_rabbit


def pytest_terminal_summary(terminalreporter):
    from tests.support import fault_report

    if fault_report.ROWS:
        terminalreporter.write_sep("=", "fault suite")
        terminalreporter.write(fault_report.table())
        terminalreporter.write_line(f"(written to {fault_report.write()})")
