"""Keeps SIDs, hashes and passwords out of the HTTP client's own log lines.

OM takes the SID (and, before 9.0, the password) in the query string, and httpx
logs every request URL at INFO. The bot holds that logger at WARNING anyway; this
filter makes the ``om`` package safe on its own, whoever configures logging.
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAMS = re.compile(r"\b(sid|pass|secure|user)=[^&\s\"']+", re.IGNORECASE)


class RedactQuerySecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_PARAMS.sub(r"\1=***", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def install() -> None:
    """Adds the filter to httpx's logger once."""
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactQuerySecrets) for f in logger.filters):
        logger.addFilter(RedactQuerySecrets())
