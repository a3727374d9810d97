from types import SimpleNamespace

from common.timers import ConfiguredTimer


def configured(config):
    timer = ConfiguredTimer("NOTIFICATIONS", "RETRY_INTERVAL", 5)
    timer.container = SimpleNamespace(config=config)
    timer.setup()
    return timer.interval


def test_the_interval_comes_from_config_or_the_default():
    assert configured({"NOTIFICATIONS": {"RETRY_INTERVAL": "0.2"}}) == 0.2
    assert configured({"NOTIFICATIONS": {"RETRY_INTERVAL": ""}}) == 5
    assert configured({"NOTIFICATIONS": {}}) == 5
    assert configured({}) == 5
