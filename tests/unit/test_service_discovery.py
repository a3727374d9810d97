"""`nameko run --config config.yaml <service>.service`, as operators and the fault suite start a service, finds
the service and nothing else: a class with entrypoints but no name (a mixin) in the module would stop it."""

import pytest
from nameko.cli.run import import_service

from common.services import SERVICE_CLASSES


@pytest.mark.parametrize("service", sorted(SERVICE_CLASSES))
def test_the_bare_module_path_runs_exactly_the_service(service):
    classes = import_service(f"{service}.service")
    names = [getattr(cls, "name", None) for cls in classes]
    assert service in names
    assert None not in names
