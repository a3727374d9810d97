"""Expected errors in one log line.

Nameko logs an entrypoint's expected exceptions (our ``DomainError``: a wrong
password, a 404) as a warning with the whole traceback. They are the client's
mistakes, not faults: the message is enough, so the traceback is dropped.
"""

import logging

from common.exceptions import DomainError

CONTAINER_LOGGER = "nameko.containers"


class DomainErrorsInOneLine(logging.Filter):
    def filter(self, record):
        if record.exc_info and isinstance(record.exc_info[1], DomainError):
            record.exc_info = None
            record.exc_text = None
        return True


def install():
    """Idempotent: on Nameko's container logger, which logs every worker's error."""
    logger = logging.getLogger(CONTAINER_LOGGER)
    if not any(isinstance(existing, DomainErrorsInOneLine) for existing in logger.filters):
        logger.addFilter(DomainErrorsInOneLine())
