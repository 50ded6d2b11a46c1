"""``POST /slack/events``: a bad signature is refused and says why in the log, once a minute at most."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from bot.slack.ingress import SignatureCheck
from tests.conftest import SIGNING_SECRET, RunningBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, sign


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.slack.ingress" and r.levelno == logging.WARNING]


async def test_a_wrong_signing_secret_is_logged_once_naming_the_setting(
    bot: RunningBot, slack: SlackSimulator, alice: SlackUser, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(3):
        body, sink = bot.driver.command_body(alice, "room-5")
        response = await bot.driver.post(body, sign("0" * 32, body))
        assert response.status_code == 401
    [line] = warnings_of(caplog)
    assert "SLACK_SIGNING_SECRET" in line and "clock" in line
    assert SIGNING_SECRET not in caplog.text and "0" * 32 not in caplog.text and "room-5" not in caplog.text
    # A good request still gets in, and logs no warning.
    body, sink = bot.driver.command_body(alice, "room-5")
    assert (await bot.driver.post(body, sign(SIGNING_SECRET, body))).status_code == 200
    await slack.next_message(sink)
    assert len(warnings_of(caplog)) == 1


async def test_a_clock_off_by_minutes_is_named_as_such(
    bot: RunningBot, alice: SlackUser, caplog: pytest.LogCaptureFixture
) -> None:
    body, _ = bot.driver.command_body(alice, "room-5")
    response = await bot.driver.post(body, sign(SIGNING_SECRET, body, int(time.time()) - 11 * 60))
    assert response.status_code == 401
    [line] = warnings_of(caplog)
    assert "11 minutes behind" in line and "clock" in line


def test_the_warning_is_rate_limited_and_counts_what_it_held_back(caplog: pytest.LogCaptureFixture) -> None:
    now = [1000.0]
    check = SignatureCheck(SIGNING_SECRET, clock=lambda: now[0])
    headers = {"X-Slack-Request-Timestamp": "1000", "X-Slack-Signature": "v0=00"}
    for _ in range(5):
        assert not check.valid("a=b", headers)
    now[0] += 61
    assert not check.valid("a=b", headers)
    lines = warnings_of(caplog)
    assert len(lines) == 2 and "refused 1 request" in lines[0] and "refused 5 request" in lines[1]


async def test_unfinished_replies_at_shutdown_tell_the_person_to_try_again(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    await bot.settled(om)
    om.holds["/services/user/hash"] = asyncio.Event()
    sent = await bot.driver.command(alice, "room-5")
    await om.wait_until(lambda: om.count("/services/user/hash") == 1)
    assert await bot.context.drain(0.05) == 1
    message = await slack.next_message(sent.sink)
    assert "restarted" in message["text"] and "/meet again" in message["text"]
    om.holds.pop("/services/user/hash").set()


async def test_ssl_check_in_an_unsigned_body_is_no_way_past_the_signature(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    """A body that carries ssl_check=1 is answered as Slack's certificate check and never dispatched; one where it is
    not a top-level field is a request like any other: refused unless Slack signed it."""
    message = {"response_type": "ephemeral", "blocks": [{"type": "actions", "elements": [
        {"type": "button", "action_id": "pick_room", "text": {"type": "plain_text", "text": "Join"}, "value": '{"r":5}'}
    ]}]}  # fmt: skip
    click, click_sink = bot.driver.click_body(alice, message, message["blocks"][0]["elements"][0])
    command, command_sink = bot.driver.command_body(alice, "room-5")
    event = json.dumps({"type": "event_callback", "x": "&ssl_check=1", "event": {"type": "app_home_opened",
                        "user": alice.id, "tab": "home"}, "team_id": alice.team_id})  # fmt: skip
    for body in (click + "&ssl_check=1", command + "&ssl_check=1", "ssl_check=1&" + command):
        response = await bot.driver.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 200 and response.text == "", body[:60]
    smuggled = click.replace("payload=", "payload=" + "%26ssl_check%3D1", 0) + "&x=%26ssl_check%3D1"
    for body in (event, smuggled):
        response = await bot.driver.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 401, body[:60]
    # Slack's own certificate check, unsigned, still gets its empty 200, and runs nothing.
    for body in ("ssl_check=1", "ssl_check=1&token=legacy-verification-token"):
        response = await bot.driver.post(body, {"Content-Type": "application/x-www-form-urlencoded"})
        assert response.status_code == 200 and response.text == ""
    await bot.context.drain(5)
    assert not click_sink.messages and not command_sink.messages and not om.hashes and not slack.home_views
