"""Logging set-up: one line per event, and the chatty HTTP libraries kept quiet.

httpx logs every request URL at INFO, and OM puts the SID (and, before 9.0,
the password) in the query string; so those loggers never go below WARNING.
"""

from __future__ import annotations

import logging
import sys

_QUIET = ("httpx", "httpcore", "hpack", "apscheduler.executors", "aiohttp.access")


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_chatty_loggers()


def quiet_chatty_loggers() -> None:
    """Called by every app build too, so no way of starting the bot can log a SID or password."""
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
