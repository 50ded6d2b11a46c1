"""Fixtures: the OM and Slack simulators, and the bot served on loopback exactly as in production
(``bot.server.create_web_app``), driven over real HTTP with signed requests."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiohttp import web

from bot.app import Bot
from bot.config import Config
from bot.server import BOT, create_web_app
from tests.redis_server import RedisServer
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackDriver, SlackSimulator, SlackUser

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
# OM 9's 6-16 s wrong-password penalty, scaled down by 100.
BAD_PASSWORD_DELAY = (0.06, 0.16)


@dataclass
class RunningBot:
    url: str
    web_app: web.Application
    runner: web.AppRunner
    driver: SlackDriver
    http: httpx.AsyncClient

    @property
    def context(self) -> Bot:
        return self.web_app[BOT]

    async def settled(self, om: OMSimulator) -> None:
        """Waits for the start-up work (filling the session pool) to end, so counts of OM requests hold still."""
        pool = self.context.pool
        await om.wait_until(lambda: pool.status().fresh == pool.size and om.concurrent_logins == 0)

    async def healthz(self) -> httpx.Response:
        return await self.http.get(self.url + "/healthz")

    async def stop(self) -> None:
        await self.runner.cleanup()


@pytest.fixture(autouse=True)
def no_secret_leaks(request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with logging at DEBUG. Afterwards no token, signing secret, OM password, SID or
    hash may be in the log, and no message may carry a link to anyone but the person it was made for."""
    caplog.set_level(logging.DEBUG)
    yield
    values = request.node.funcargs
    om, slack = values.get("om"), values.get("slack")
    secrets = {BOT_TOKEN, SIGNING_SECRET}
    if isinstance(om, OMSimulator):
        secrets |= {om.api_user.password or BOT_TOKEN}
        secrets |= set(om.sessions) | set(om.expired_sids) | set(om.hashes)
        for record in om.requests:
            secrets |= {v for k, v in {**record.query, **record.form}.items() if k in ("sid", "pass") and v}
    # At teardown caplog.text holds the teardown phase only; the test's own lines are kept per phase.
    formatter = logging.Formatter()
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    logged = "\n".join(formatter.format(record) for record in records)
    if "start_bot" in values:
        assert records, "DEBUG logging captured nothing from a running bot: the check would prove nothing"
    leaked = sorted(s for s in secrets if s in logged)
    assert not leaked, f"secrets in the log: {[s[:4] + '…' for s in leaked]}"
    if isinstance(om, OMSimulator) and isinstance(slack, SlackSimulator):
        for sink in slack.sinks.values():
            for message in sink.messages:
                text = json.dumps(message)
                for value, record in om.hashes.items():
                    if value in text:
                        assert message.get("response_type") != "in_channel", "a join link was posted in a channel"
                        assert (record.requested_for or "").endswith(":" + sink.user_id), (
                            "a person was shown someone else's join link"
                        )


def _running_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One redis-server for the whole run, on a free loopback port; ``shared_redis`` empties it for each test."""
    yield from _running_redis()


@pytest.fixture
def shared_redis(redis_server: RedisServer) -> RedisServer:
    redis_server.flush()
    return redis_server


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may stop and start again."""
    yield from _running_redis()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
async def om() -> AsyncIterator[OMSimulator]:
    sim = OMSimulator(bad_password_delay=BAD_PASSWORD_DELAY)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def slack() -> AsyncIterator[SlackSimulator]:
    sim = SlackSimulator(bot_token=BOT_TOKEN)
    await sim.start()
    sim.add_user(
        SlackUser(
            "U0ALICE01",
            "alice",
            real_name="Alice Liddell",
            first_name="Alice",
            last_name="Liddell",
            email="alice@example.com",
            locale="de-DE",
        )
    )
    sim.add_user(SlackUser("U0BOB0001", "bob", real_name="Bob Marley", email="bob@example.com", locale="fr-FR"))
    yield sim
    await sim.stop()


def bot_env(om: OMSimulator, slack: SlackSimulator, **overrides: str) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "OPENMEETINGS_URL": om.base_url,
        "OPENMEETINGS_USER": om.api_user.login,
        "OPENMEETINGS_PASSWORD": om.api_user.password or "",
        "OPENMEETINGS_POOL_SIZE": "2",
    }
    env.update(overrides)
    return env


StartBot = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def start_bot(om: OMSimulator, slack: SlackSimulator, http: httpx.AsyncClient) -> AsyncIterator[StartBot]:
    running: list[RunningBot] = []

    async def start(**overrides: Any) -> RunningBot:
        config = Config.from_env(bot_env(om, slack, **{k: str(v) for k, v in overrides.items()}))
        web_app = create_web_app(config)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        url = f"http://127.0.0.1:{port}"
        bot = RunningBot(url, web_app, runner, SlackDriver(slack, url + "/slack/events", SIGNING_SECRET, http), http)
        running.append(bot)
        return bot

    yield start
    for bot in running:
        await bot.stop()


@pytest.fixture
async def bot(start_bot: StartBot) -> RunningBot:
    return await start_bot()


@pytest.fixture
def alice(slack: SlackSimulator) -> SlackUser:
    return slack.users["U0ALICE01"]


@pytest.fixture
def bob(slack: SlackSimulator) -> SlackUser:
    return slack.users["U0BOB0001"]
