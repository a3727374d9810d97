"""Nameko timers whose interval comes from config.yaml, so tests and operators can change it."""

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """``@ConfiguredTimer.decorator("NOTIFICATIONS", "RETRY_INTERVAL", 5)``: every
    ``config[section][key]`` seconds (read when the service starts), ``default`` when it is not set."""

    def __init__(self, section, key, default, **kwargs):
        super().__init__(default, **kwargs)
        self.section = section
        self.key = key

    def setup(self):
        configured = (self.container.config.get(self.section) or {}).get(self.key)
        if configured not in (None, ""):
            self.interval = float(configured)
        super().setup()
