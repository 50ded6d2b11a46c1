"""Socket Mode end to end: the served bot dials a local Socket Mode server found through
``apps.connections.open`` on the Slack simulator, and gets ``/meet`` and clicks as envelopes."""

from __future__ import annotations

import copy
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiohttp import web

from bot.app import Bot
from bot.config import Config, ConfigError
from bot.server import BOT, create_web_app
from tests.conftest import RunningBot, bot_env
from tests.processes import free_port, run_to_exit, start_bot_process, stop_bot_process, wait_healthy
from tests.simulators.om import OMSimulator
from tests.simulators.slack import SlackSimulator, SlackUser, buttons, join_button
from tests.simulators.socket_mode import SocketModeDriver, SocketModeServer

ROOT = Path(__file__).resolve().parents[2]
APP_TOKEN = "xapp-1-A0APP0001-4242424242-0123456789abcdef0123456789abcdef"
# Short, so a silently dropped connection is noticed within a second (production: 10 s).
PING_INTERVAL = 0.5


@dataclass
class SocketBot:
    url: str
    web_app: web.Application
    runner: web.AppRunner
    driver: SocketModeDriver
    http: httpx.AsyncClient

    @property
    def context(self) -> Bot:
        return self.web_app[BOT]

    async def healthz(self) -> httpx.Response:
        return await self.http.get(self.url + "/healthz")


@pytest.fixture
async def slack_socket(slack: SlackSimulator) -> AsyncIterator[SocketModeServer]:
    slack.app_token = APP_TOKEN
    server = SocketModeServer()
    await server.start()
    slack.connections_open = server.open_url
    yield server
    await server.stop()


StartSocketBot = Callable[..., Awaitable[SocketBot]]


@pytest.fixture
async def start_socket_bot(
    om: OMSimulator, slack: SlackSimulator, slack_socket: SocketModeServer, http: httpx.AsyncClient
) -> AsyncIterator[StartSocketBot]:
    runners: list[web.AppRunner] = []

    async def start(**overrides: str) -> SocketBot:
        env = bot_env(om, slack, SLACK_APP_TOKEN=APP_TOKEN, **overrides)
        web_app = create_web_app(Config.from_env(env), socket_ping_interval=PING_INTERVAL)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        runners.append(runner)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return SocketBot(url, web_app, runner, SocketModeDriver(slack, slack_socket), http)

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def socket_bot(start_socket_bot: StartSocketBot, slack_socket: SocketModeServer) -> SocketBot:
    bot = await start_socket_bot()
    await slack_socket.wait_connected()
    return bot


def _without_link(message: dict[str, Any]) -> dict[str, Any]:
    """The message with its one-person parts (the hash URL, the link and share ids) taken out."""
    message = copy.deepcopy(message)
    join_button(message).pop("url")
    for button in buttons(message):
        button.pop("value")
    return message


async def test_meet_over_socket_mode_answers_as_over_http_and_the_link_opens_om_as_the_person(
    socket_bot: SocketBot,
    bot: RunningBot,
    om: OMSimulator,
    slack: SlackSimulator,
    slack_socket: SocketModeServer,
    alice: SlackUser,
) -> None:
    over_socket = await socket_bot.driver.command(alice, "room-5")
    assert over_socket.ack == {"envelope_id": over_socket.envelope.envelope_id}
    message = await slack.next_message(over_socket.sink)

    over_http = await bot.driver.command(alice, "room-5")
    assert _without_link(message) == _without_link(await slack.next_message(over_http.sink))

    url = join_button(message)["url"]
    assert url.startswith(om.base_url + "/hash?secure=") and parse_qs(urlsplit(url).query)["language"] == ["2"]
    joined = await om.open_join_url(url)
    assert joined is not None and joined.room_id == 5
    assert (joined.user.firstname, joined.user.external_id) == ("Alice", "T0TEAM001:U0ALICE01")
    # The connection was opened with the app-level token, never the bot token.
    opens = [call for call in slack.calls if call.method == "apps.connections.open"]
    assert [call.authorization for call in opens] == [f"Bearer {APP_TOKEN}"]


async def test_button_click_over_socket_mode_is_acked_and_replaces_the_message(
    socket_bot: SocketBot, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    sent = await socket_bot.driver.command(alice, "room-3")
    first = await slack.next_message(sent.sink)
    assert await om.open_join_url(join_button(first)["url"]) is not None

    click = await socket_bot.driver.click(alice, first)
    assert click.ack == {"envelope_id": click.envelope.envelope_id}
    replacement = await slack.next_message(click.sink)
    assert replacement["replace_original"] is True
    assert join_button(replacement)["url"] != join_button(first)["url"]
    joined = await om.open_join_url(join_button(replacement)["url"])
    assert joined is not None and joined.room_id == 3 and joined.user.firstname == "Alice"


async def test_disconnect_message_makes_the_bot_reconnect_through_apps_connections_open(
    socket_bot: SocketBot, om: OMSimulator, slack: SlackSimulator, slack_socket: SocketModeServer, bob: SlackUser
) -> None:
    first = slack_socket.live
    assert first is not None
    await slack_socket.send_disconnect("refresh_requested")
    second = await slack_socket.wait_connected(count=2)
    assert second.number > first.number
    assert slack.count("apps.connections.open") >= 2
    # The client lets go of the old connection itself.
    await slack_socket.wait_until(lambda: first.closed)

    sent = await socket_bot.driver.command(bob, "room-4")
    assert sent.envelope.connection == second.number
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.room_id == 4 and joined.user.firstname == "Bob"


async def test_dropped_connection_is_replaced_without_a_restart(
    socket_bot: SocketBot, om: OMSimulator, slack: SlackSimulator, slack_socket: SocketModeServer, alice: SlackUser
) -> None:
    first = slack_socket.live
    assert first is not None
    await slack_socket.drop()
    second = await slack_socket.wait_connected(count=2, timeout=10)
    assert second.number > first.number
    assert slack.count("apps.connections.open") >= 2

    sent = await socket_bot.driver.command(alice, "room-5")
    joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
    assert joined is not None and joined.room_id == 5


async def test_socket_mode_serves_healthz_but_not_slack_events(
    socket_bot: SocketBot, om: OMSimulator, slack_socket: SocketModeServer
) -> None:
    await om.wait_until(lambda: socket_bot.context.pool.status().fresh > 0)
    health = await socket_bot.healthz()
    assert health.status_code == 200, health.text
    assert health.json()["slack"] == "connected"
    events = await socket_bot.http.post(socket_bot.url + "/slack/events", content="payload=%7B%7D")
    assert events.status_code == 404


async def test_healthz_says_when_slack_is_out_of_reach(
    socket_bot: SocketBot, slack: SlackSimulator, slack_socket: SocketModeServer
) -> None:
    await slack_socket.stop()
    # The client noticed and is trying a new URL, which leads nowhere now.
    await slack.wait_until(lambda: slack.count("apps.connections.open") >= 2, timeout=10)
    health = await socket_bot.healthz()
    assert health.status_code == 503
    assert health.json()["slack"] == "not connected"
    assert "SLACK_APP_TOKEN" in health.json()["reason"]


async def test_a_refused_app_token_keeps_the_bot_up_and_unhealthy(
    start_socket_bot: StartSocketBot, slack: SlackSimulator, slack_socket: SocketModeServer
) -> None:
    slack.app_token = "xapp-1-some-other-app"
    bot = await start_socket_bot()
    await slack.wait_until(lambda: slack.count("apps.connections.open") >= 1)
    health = await bot.healthz()
    assert health.status_code == 503
    assert health.json()["slack"] == "not connected"
    assert slack_socket.connections == []
    assert APP_TOKEN not in health.text


def test_app_token_must_be_an_app_level_token(om: OMSimulator, slack: SlackSimulator) -> None:
    with pytest.raises(ConfigError) as caught:
        Config.from_env(bot_env(om, slack, SLACK_APP_TOKEN="xoxb-not-an-app-token"))
    assert caught.value.setting == "SLACK_APP_TOKEN"
    assert "xoxb-not-an-app-token" not in str(caught.value)


def test_socket_mode_needs_no_signing_secret(om: OMSimulator, slack: SlackSimulator) -> None:
    env = {k: v for k, v in bot_env(om, slack, SLACK_APP_TOKEN=APP_TOKEN).items() if k != "SLACK_SIGNING_SECRET"}
    assert Config.from_env(env).socket_mode
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        Config.from_env({k: v for k, v in env.items() if k != "SLACK_APP_TOKEN"})


def test_procfile_worker_line_runs_socket_mode() -> None:
    lines = (ROOT / "Procfile").read_text().strip().splitlines()
    assert "web: python -m bot" in lines
    assert "worker: python -m bot socket" in lines


async def test_python_m_bot_socket_refuses_to_start_without_an_app_token(
    om: OMSimulator, slack: SlackSimulator, tmp_path: Path
) -> None:
    env = {k: v for k, v in {**os.environ, **bot_env(om, slack)}.items() if k != "SLACK_APP_TOKEN"}
    code, log = await run_to_exit(env, "socket", cwd=tmp_path)
    assert code == 2
    lines = log.strip().splitlines()
    assert len(lines) == 1 and "SLACK_APP_TOKEN" in lines[0]


async def test_nothing_secret_is_logged_in_socket_mode_at_debug(
    start_socket_bot: StartSocketBot,
    om: OMSimulator,
    slack: SlackSimulator,
    slack_socket: SocketModeServer,
    alice: SlackUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    bot = await start_socket_bot(LOG_LEVEL="DEBUG")
    await slack_socket.wait_connected()
    sent = await bot.driver.command(alice, "room-5")
    message = await slack.next_message(sent.sink)
    await slack_socket.send_disconnect()
    await slack_socket.wait_connected(count=2)

    logged = caplog.text
    assert "slack request: command=/meet user=U0ALICE01" in logged
    secrets = {APP_TOKEN, sent.sink.token, parse_qs(urlsplit(join_button(message)["url"]).query)["secure"][0]}
    secrets |= {r.query["sid"] for r in om.requests if "sid" in r.query}
    # The one-time WebSocket URLs' tickets, and the raw envelopes (which hold the response_url).
    secrets |= {c.request.query["ticket"] for c in slack_socket.connections}
    assert not [s for s in secrets if s in logged]


async def test_procfile_worker_line_as_a_real_process(
    om: OMSimulator, slack: SlackSimulator, slack_socket: SocketModeServer, alice: SlackUser, http: httpx.AsyncClient
) -> None:
    """``python -m bot socket`` reads its settings from the environment, connects, answers, and stops on SIGTERM."""
    port = free_port()
    env = {**os.environ, **bot_env(om, slack, SLACK_APP_TOKEN=APP_TOKEN), "PORT": str(port)}
    proc = await start_bot_process(env, "socket")
    try:
        await slack_socket.wait_connected(timeout=20)
        assert await wait_healthy(port, proc) == 200
        sent = await SocketModeDriver(slack, slack_socket).command(alice, "room-2")
        joined = await om.open_join_url(join_button(await slack.next_message(sent.sink))["url"])
        assert joined is not None and joined.room_id == 2
    finally:
        log = await stop_bot_process(proc)
    assert proc.returncode == 0, log
    log = log
    assert "slack=socket-mode" in log and "socket mode: disconnected from Slack" in log and "bot stopped" in log
    assert APP_TOKEN not in log and om.api_user.password not in log
