"""Bad input refused, who may do what, and a clean stop: each checked through the served app."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningBot, StartBot, bot_env
from tests.processes import free_port, start_bot_process, wait_healthy
from tests.simulators.om import OMSimulator, Room
from tests.simulators.slack import SlackDriver, SlackSimulator, SlackUser, join_button, message_text, sign

ROOT = Path(__file__).resolve().parents[2]

NASTY = [
    "x" * 4000,
    "room-5\x00\x07\x1b[31m",
    # Mentions alone now invite (issue 14); beside a name that matches nothing they are usage, never echoed.
    "<@U0BOB0001> <@U0BOB0001|bob> no such room",
    "<!channel> <!here> <!subteam^S123|@team>",
    "https://evil.example.com/?q=1 <https://evil.example.com|click>",
    "&lt;script&gt;alert(1)&lt;/script&gt; &amp;",
    "\u202egnp.exe \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "🙂" * 50,
    "room-5 moderator=true",
    '{"moderator": true, "roomId": 5}',
    "5 --moderator",
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
async def test_any_text_gets_usage_or_a_precise_message_never_a_crash(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, text: str
) -> None:
    sent = await bot.driver.command(alice, text)
    assert sent.ack.status_code == 200
    message = await slack.next_message(sent.sink)
    shown = message_text(message)
    assert message["response_type"] == "ephemeral"
    assert "/meet list" in shown or "/meet room-5" in shown
    for raw in ("<!channel>", "<!here>", "<@U0BOB0001>", "<https://"):
        assert raw not in shown
    assert all(not h.moderator for h in om.hashes.values())
    assert (await bot.healthz()).status_code in (200, 503)  # still serving


async def test_moderator_flag_never_comes_from_command_text(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    om.add_room(Room(id=40, name="moderator"))
    for text in ("moderator", "moderator share", "room-40"):
        sent = await bot.driver.command(alice, text)
        await slack.next_message(sent.sink)
    assert om.hashes and all(h.moderator is False for h in om.hashes.values())


async def test_oversized_body_is_refused_before_it_is_read(bot: RunningBot, om: OMSimulator, alice: SlackUser) -> None:
    await bot.settled(om)
    before = len(om.requests)
    body, _ = bot.driver.command_body(alice, "x" * (2 * 1024 * 1024))
    response = await bot.driver.post(body)
    assert response.status_code == 413
    assert len(om.requests) == before


async def test_missing_signature_headers_and_other_timestamps_are_refused(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    await bot.settled(om)
    before_om, before_slack = len(om.requests), slack.count("users.info")
    body, sink = bot.driver.command_body(alice, "room-5")
    for headers in (
        {"Content-Type": "application/x-www-form-urlencoded"},
        sign(bot.driver.signing_secret, body, int(time.time()) + 6 * 60),  # from the future
        sign(bot.driver.signing_secret, body + "&x=1"),  # signed, then altered
    ):
        assert (await bot.driver.post(body, headers)).status_code == 401
    await bot.context.drain(5)
    assert not sink.messages
    assert len(om.requests) == before_om and slack.count("users.info") == before_slack


async def test_rate_limit_per_person_tells_when_to_try_again(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    bot = await start_bot(MEET_RATE_LIMIT="3")
    for _ in range(3):
        sent = await bot.driver.command(alice, "room-1")
        join_button(await slack.next_message(sent.sink))
    hashes = om.count("/services/user/hash")
    sent = await bot.driver.command(alice, "room-1")
    text = message_text(await slack.next_message(sent.sink))
    assert "try again in" in text and "seconds" in text
    assert om.count("/services/user/hash") == hashes
    # Help is never limited, and other people are not affected.
    sent = await bot.driver.command(alice, "help")
    assert "/meet room-5" in message_text(await slack.next_message(sent.sink))
    sent = await bot.driver.command(bob, "room-1")
    join_button(await slack.next_message(sent.sink))


async def test_default_limit_is_ten_a_minute(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    texts = []
    for _ in range(11):
        sent = await bot.driver.command(alice, "room-2")
        texts.append(message_text(await slack.next_message(sent.sink)))
    assert ["try again in" in t for t in texts] == [False] * 10 + [True]


async def test_other_workspaces_are_refused_politely_without_an_om_call(
    bot: RunningBot, om: OMSimulator, slack: SlackSimulator
) -> None:
    stranger = slack.add_user(SlackUser("U0STRANGE", "mallory", team_id="T0ELSEWHERE"))
    await bot.settled(om)
    before = len(om.requests)
    sent = await bot.driver.command(stranger, "room-5")
    text = message_text(await slack.next_message(sent.sink))
    assert "only serves the Slack workspace it is installed in" in text
    assert len(om.requests) == before
    assert slack.count("users.info") == 0


async def test_allowed_teams_setting(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    partner = slack.add_user(SlackUser("U0PARTNER", "pat", team_id="T0PARTNER", first_name="Pat"))
    grid = slack.add_user(SlackUser("W0GRIDUSR", "gus", team_id="T0GRIDWS1", enterprise_id="E0GRID001"))
    bot = await start_bot(SLACK_ALLOWED_TEAMS="T0PARTNER,E0GRID001")
    for person in (partner, grid):
        sent = await bot.driver.command(person, "room-5")
        joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
        assert joined is not None and joined.user.external_id.endswith(":" + person.id)
    sent = await bot.driver.command(alice, "room-5")  # the token's own team is not implied once the list is set
    assert "only serves" in message_text(await slack.next_message(sent.sink))
    assert slack.count("auth.test") == 0


async def test_when_slack_cannot_say_which_workspace_the_bot_is_in_nobody_gets_in(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    slack.auth_test_error = "invalid_auth"
    bot = await start_bot()
    sent = await bot.driver.command(alice, "room-5")
    assert "can't check your workspace" in message_text(await slack.next_message(sent.sink))
    assert om.count("/services/user/hash") == 0


@pytest.mark.parametrize("flag", ["is_restricted", "is_ultra_restricted"])
async def test_guests_are_refused_unless_allowed(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, flag: str
) -> None:
    guest = slack.add_user(SlackUser("U0GUEST01", "guest", real_name="Gus Guest"))
    original = guest.users_info

    def info() -> dict[str, object]:
        record = original()
        record[flag] = True
        return record

    guest.users_info = info  # type: ignore[method-assign]
    strict = await start_bot()
    sent = await strict.driver.command(guest, "room-5")
    assert "guest accounts can't use /meet" in message_text(await slack.next_message(sent.sink))
    assert om.count("/services/user/hash") == 0
    relaxed = await start_bot(MEET_ALLOW_GUESTS="true")
    sent = await relaxed.driver.command(guest, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.user.firstname == "Gus"


async def test_sigterm_lets_an_acked_reply_finish_and_stops_cleanly(
    om: OMSimulator, slack: SlackSimulator, alice: SlackUser, http: httpx.AsyncClient
) -> None:
    port = free_port()
    env = {**os.environ, **bot_env(om, slack), "PORT": str(port)}
    proc = await start_bot_process(env)
    try:
        driver = SlackDriver(slack, f"http://127.0.0.1:{port}/slack/events", env["SLACK_SIGNING_SECRET"], http)
        assert await wait_healthy(port, proc) == 200
        om.latency = 1.5  # the reply is still on its way when the platform says stop
        sent = await driver.command(alice, "room-5")
        assert sent.ack.status_code == 200 and not sent.sink.messages
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    assert sent.sink.messages, "the acked /meet got no reply before the process ended"
    assert join_button(sent.sink.messages[0])["url"].startswith(om.base_url)
    log = err.decode()
    assert "Scheduler has been shut down" in log or "bot stopped" in log
    assert "bot stopped" in log.rstrip().splitlines()[-1]


async def test_clicks_are_not_rate_limited(
    start_bot: StartBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    bot = await start_bot(MEET_RATE_LIMIT="1")
    sent = await bot.driver.command(alice, "room-3")
    message = await slack.next_message(sent.sink)
    for _ in range(3):
        click = await bot.driver.click(alice, message)
        message = await slack.next_message(click.sink)
        assert await om.open_join_url(join_button(message)["url"]) is not None
    sent = await bot.driver.command(alice, "room-3")  # the second /meet within the minute is limited
    assert "try again in" in message_text(await slack.next_message(sent.sink))
