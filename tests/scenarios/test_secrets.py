"""With logging at DEBUG, no token, signing secret, OM password, SID or hash reaches a log line,
and no person's message carries another person's link."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import BOT_TOKEN, SIGNING_SECRET, StartBot
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, join_button, message_text


@pytest.mark.parametrize("version", ["9.1.0", "8.1.0"])
async def test_nothing_secret_is_logged_at_debug(
    start_bot: StartBot,
    om: OMSimulator,
    slack: SlackSimulator,
    alice: SlackUser,
    bob: SlackUser,
    caplog: pytest.LogCaptureFixture,
    version: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    om.version = version  # 8.x puts the password in the login URL's query string
    bot = await start_bot(LOG_LEVEL="DEBUG")
    messages = {}
    for person in (alice, bob):
        sent = await bot.driver.command(person, "room-5")
        messages[person.id] = await slack.next_message(sent.sink)
    click = await bot.driver.click(alice, messages[alice.id])
    await slack.next_message(click.sink)
    om.drop_sessions()  # forces the notallowed → re-login path
    sent = await bot.driver.command(bob, "room-1")
    await slack.next_message(sent.sink)
    await bot.driver.post("payload=%7B%7D", {"X-Slack-Signature": "v0=bad", "X-Slack-Request-Timestamp": "1"})
    await om.stop()
    sent = await bot.driver.command(alice, "room-5")
    await slack.next_message(sent.sink)
    await bot.healthz()

    secrets = {BOT_TOKEN, SIGNING_SECRET, om.api_user.password or "x"}
    secrets |= {r.query["sid"] for r in om.requests if "sid" in r.query}
    secrets |= set(om.hashes)
    assert len(secrets) > 6
    logged = caplog.text
    assert logged  # DEBUG logging was on and did capture lines
    leaked = [s for s in secrets if s in logged]
    assert not leaked

    # Each person's messages carry their own links only.
    for person_id, message in messages.items():
        link_hash = parse_qs(urlsplit(join_button(message)["url"]).query)["secure"][0]
        others = [h for h in om.hashes if h != link_hash]
        assert not any(h in message_text(message) or h in str(message) for h in others)
        assert om.hashes[link_hash] is not None and person_id
