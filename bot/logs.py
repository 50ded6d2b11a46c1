"""Logging set-up: one line per event (key=value, or JSON), a request id, and the chatty libraries kept quiet.

httpx logs every request URL at INFO, and OM puts the SID (and, before 9.0,
the password) in the query string; so those loggers never go below WARNING.
slack_sdk logs raw Socket Mode envelopes (response_urls, names) and Web API
bodies at DEBUG; so it never goes below INFO.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from handlers.payloads import summary

_log = logging.getLogger(__name__)
_QUIET = ("httpx", "httpcore", "hpack", "apscheduler.executors", "apscheduler.scheduler", "aiohttp.access")
_AT_LEAST_INFO = ("slack_sdk",)

# Set when a Slack request comes in; asyncio copies it into every task started from there,
# so the work after the ack (OM calls, the response_url post) carries it too.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)


def setup_logging(level: str, fmt: str = "kv") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _AT_LEAST_INFO:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    quiet_chatty_loggers()


def quiet_chatty_loggers() -> None:
    """Called by every app build too, so no way of starting the bot can log a SID, password or envelope."""
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _AT_LEAST_INFO:
        logger = logging.getLogger(name)
        logger.setLevel(max(logging.INFO, logger.level))


def new_request_id() -> str:
    return secrets.token_hex(4)


async def request_id_middleware(body: dict[str, Any], next_: Callable[[], Awaitable[Any]]) -> Any:
    """Bolt global middleware: every line logged while handling one Slack request shares an id.

    Not reset on the way out: Bolt starts the listeners after the middleware chain has returned,
    in the same task. Each Slack request already has a task (and so a context) of its own:
    aiohttp starts one per HTTP request, slack_sdk one per Socket Mode envelope.
    """
    REQUEST_ID.set(new_request_id())
    _log.info("slack request: %s", summary(body))
    return await next_()


_second: list[Any] = [None, ""]


def _timestamp(created: float) -> str:
    """ISO 8601 in UTC to the millisecond; the part up to the second is formatted once a second, not per line."""
    second = int(created)
    if second != _second[0]:
        _second[:] = [second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")]
    return f"{_second[1]}.{int((created - second) * 1000):03d}Z"


def _fields(record: logging.LogRecord) -> dict[str, str]:
    fields = {
        "ts": _timestamp(record.created),
        "level": record.levelname,
        "logger": record.name,
        "msg": record.getMessage(),
    }
    request_id = REQUEST_ID.get()
    if request_id:
        fields["request_id"] = request_id
    if record.exc_info:
        fields["exc"] = logging.Formatter().formatException(record.exc_info)
    return fields


class KeyValueFormatter(logging.Formatter):
    """``ts=… level=INFO logger=bot.meet msg="…" request_id=…`` on one line, whatever the message holds."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_kv_value(value)}" for key, value in _fields(record).items())


class JSONFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False)


_NEEDS_QUOTES = re.compile(r'[ "=\\]')


def _kv_value(value: str) -> str:
    if value and value.isprintable() and not _NEEDS_QUOTES.search(value):
        return value
    # json.dumps quotes and escapes newlines, so a traceback stays on its line.
    return json.dumps(value, ensure_ascii=False)
