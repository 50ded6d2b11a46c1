"""Log lines: one per event, key=value or JSON, and one request id across a command's whole handling."""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Config, ConfigError
from bot.logs import REQUEST_ID, JSONFormatter, KeyValueFormatter
from tests.conftest import SIGNING_SECRET, StartBot, bot_env
from tests.processes import free_port, start_bot_process, stop_bot_process, wait_healthy
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackDriver, SlackSimulator, SlackUser, join_button

ROOT = Path(__file__).resolve().parents[2]


def _record(msg: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.LogRecord("bot.meet", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_key_value_line_quotes_what_needs_it_and_stays_on_one_line() -> None:
    token = REQUEST_ID.set("feedc0de")
    try:
        line = KeyValueFormatter().format(_record('meet: "odd"\nroom=%s', 5, exc=True))
    finally:
        REQUEST_ID.reset(token)
    assert "\n" not in line
    pairs = dict(pair.split("=", 1) for pair in shlex.split(line, posix=True) if "=" in pair)
    assert pairs["level"] == "WARNING" and pairs["logger"] == "bot.meet"
    assert pairs["request_id"] == "feedc0de"
    assert line.startswith("ts=") and 'msg="meet: \\"odd\\"\\nroom=5"' in line
    assert "ValueError: boom" in pairs["exc"]


def test_json_line_is_one_object_and_has_no_request_id_outside_a_request() -> None:
    line = JSONFormatter().format(_record("pool filled fresh=%d", 4))
    assert "\n" not in line
    fields = json.loads(line)
    assert fields["msg"] == "pool filled fresh=4" and fields["level"] == "WARNING"
    assert "request_id" not in fields


@pytest.fixture
def kv_lines() -> Iterator[list[str]]:
    """Every line the bot logs in this test, formatted as in production."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(logging.INFO)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lines
    root.removeHandler(handler)
    root.setLevel(old_level)


def _request_id(line: str) -> str | None:
    for pair in shlex.split(line):
        if pair.startswith("request_id="):
            return pair.split("=", 1)[1]
    return None


async def test_every_line_of_a_command_carries_its_request_id(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser, kv_lines: list[str]
) -> None:
    bot = await start_bot()
    await om.wait_until(lambda: bot.context.pool.status().fresh == 2)
    om.drop_sessions()  # so the command also logs from the pool ("renewing the pool")
    sent_a = await bot.driver.command(alice, "room-5")
    await slack.next_message(sent_a.sink)
    sent_b = await bot.driver.command(bob, "room-99")
    await slack.next_message(sent_b.sink)

    received = [line for line in kv_lines if "slack request:" in line]
    assert len(received) == 2
    id_a, id_b = (_request_id(line) for line in received)
    assert id_a and id_b and id_a != id_b
    # Lines written after the ack, by the background work, still carry the command's id.
    issued = [line for line in kv_lines if "link issued" in line]
    renewing = [line for line in kv_lines if "renewing the pool" in line]
    assert [_request_id(line) for line in issued] == [id_a]
    assert renewing and all(_request_id(line) == id_a for line in renewing)
    assert all(line.startswith("ts=") and "\n" not in line for line in kv_lines)


async def test_python_m_bot_logs_json_lines_with_the_request_id(
    om: OMSimulator, slack: SlackSimulator, alice: SlackUser, http: httpx.AsyncClient
) -> None:
    port = free_port()
    env = {**os.environ, **bot_env(om, slack), "PORT": str(port), "LOG_FORMAT": "json"}
    proc = await start_bot_process(env)
    try:
        assert await wait_healthy(port, proc) == 200
        driver = SlackDriver(slack, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, http)
        sent = await driver.command(alice, "room-5")
        join_button(await slack.next_message(sent.sink))
    finally:
        log = await stop_bot_process(proc)
    lines = [json.loads(line) for line in log.splitlines()]
    assert {"ts", "level", "logger", "msg"} <= set(lines[0])
    (received,) = [line for line in lines if line["msg"].startswith("slack request: command=/meet")]
    (issued,) = [line for line in lines if line["msg"].startswith("meet: link issued")]
    assert received["request_id"] == issued["request_id"]
    assert "request_id" not in next(line for line in lines if line["msg"].startswith("bot started"))
    assert om.api_user.password not in log and sent.sink.token not in log


def test_log_format_setting(om: OMSimulator, slack: SlackSimulator) -> None:
    assert Config.from_env(bot_env(om, slack)).log_format == "kv"
    assert Config.from_env(bot_env(om, slack, LOG_FORMAT="JSON")).log_format == "json"
    with pytest.raises(ConfigError) as caught:
        Config.from_env(bot_env(om, slack, LOG_FORMAT="xml"))
    assert caught.value.setting == "LOG_FORMAT"
