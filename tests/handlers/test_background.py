"""Answers run after the ack as tracked tasks: shutdown lets them finish, and a failure is logged."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from aiohttp import web

from bot.config import Config
from bot.server import BACKGROUND, create_web_app
from handlers.background import Background
from tests.conftest import SIGNING_SECRET, bot_env
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackDriver, SlackSimulator, SlackUser, join_button


async def test_an_answer_in_flight_at_shutdown_still_reaches_slack(
    om: OMSimulator, slack: SlackSimulator, alice: SlackUser, http: httpx.AsyncClient
) -> None:
    web_app = create_web_app(Config.from_env(bot_env(om, slack)))
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    driver = SlackDriver(slack, url + "/slack/events", SIGNING_SECRET, http)
    # The answer needs several OM round trips (version, login, room, hash), so it is still in flight when the
    # bot is told to stop, and finishes well within the drain timeout.
    om.latency = 0.3
    try:
        sent = await driver.command(alice, "room-5")
        assert sent.ack.status_code == 200
        assert len(web_app[BACKGROUND]) == 1
    finally:
        await runner.cleanup()
    assert len(web_app[BACKGROUND]) == 0
    assert len(sent.sink.messages) == 1
    join_button(sent.sink.messages[0])


async def test_drain_cancels_what_outlives_the_timeout() -> None:
    background = Background()
    release = asyncio.Event()
    finished: list[str] = []

    async def quick() -> None:
        finished.append("quick")

    async def stuck() -> None:
        await release.wait()
        finished.append("stuck")

    background.spawn(quick(), "quick")
    background.spawn(stuck(), "stuck")
    assert len(background) == 2
    assert await background.drain(0.05) == 1
    assert finished == ["quick"]
    assert len(background) == 0


async def test_a_failing_answer_is_logged_and_forgotten(caplog: pytest.LogCaptureFixture) -> None:
    background = Background()
    done = asyncio.Event()

    async def boom() -> None:
        done.set()
        raise RuntimeError("kaput")

    with caplog.at_level(logging.ERROR, logger="handlers.background"):
        background.spawn(boom(), "meet")
        await done.wait()
        assert await background.drain(1.0) == 0
    assert len(background) == 0
    assert any("meet: unexpected failure" in r.getMessage() and r.exc_info for r in caplog.records)
