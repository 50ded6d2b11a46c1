"""Two ``python -m bot`` processes sharing one real redis-server, as two dynos behind one Slack app: requests
alternate between them, one is killed with SIGKILL, Redis is stopped and started again. No mock of Redis."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.config import Config
from bot.logs import quiet_chatty_loggers
from tests.conftest import SIGNING_SECRET, bot_env
from tests.processes import free_port, start_bot_process, wait_healthy
from tests.redis_server import RedisServer
from tests.simulators.om import OMSimulator
from tests.simulators.slack import Sink, SlackDriver, SlackSimulator, SlackUser, buttons, join_button, message_text

PUBLIC = "https://meet-bot.example.org"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@dataclass
class BotProcess:
    name: str
    port: int
    proc: asyncio.subprocess.Process
    driver: SlackDriver
    log: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def healthz(self) -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get(self.url + "/healthz", timeout=5)

    async def open_link(self, url: str) -> httpx.Response:
        """A browser opening a join link on this process (the link names the public URL)."""
        assert url.startswith(PUBLIC + "/join/"), url
        async with httpx.AsyncClient(follow_redirects=False) as browser:
            return await browser.get(self.url + url.removeprefix(PUBLIC), headers={"User-Agent": BROWSER})

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)


Start = Callable[..., Awaitable[tuple[BotProcess, BotProcess]]]


async def _drain(proc: asyncio.subprocess.Process, into: list[str]) -> None:
    """Reads the process's log as it comes, so its pipe never fills up."""
    assert proc.stderr is not None
    async for line in proc.stderr:
        into.append(line.decode(errors="replace"))


@pytest.fixture
async def pair(
    om: OMSimulator, slack: SlackSimulator, shared_redis: RedisServer, http: httpx.AsyncClient
) -> AsyncIterator[Start]:
    running: list[BotProcess] = []
    # The test's own HTTP clients (its "browser" reads the redirect to OM) log as little as the bot's.
    quiet_chatty_loggers()

    async def start(redis: RedisServer = shared_redis, **settings: str) -> tuple[BotProcess, BotProcess]:
        started = []
        for name in ("A", "B"):
            port = free_port()
            env = {**os.environ, **bot_env(om, slack), "PORT": str(port), "REDIS_URL": redis.url, **settings}
            env["LOG_LEVEL"] = "DEBUG"
            proc = await start_bot_process(env)
            driver = SlackDriver(slack, f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, http)
            bot = BotProcess(name, port, proc, driver)
            bot.reader = asyncio.create_task(_drain(proc, bot.log))
            running.append(bot)
            started.append(bot)
        for bot in started:
            assert await wait_healthy(bot.port, bot.proc) == 200, "".join(bot.log)
        return started[0], started[1]

    yield start
    for bot in running:
        if bot.proc.returncode is None:
            bot.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(bot.proc.wait(), 15)
        except TimeoutError:
            bot.kill()
            await bot.proc.wait()
        if bot.reader is not None:
            await bot.reader
    secrets = _secrets(om, slack)
    for bot in running:
        log = "".join(bot.log)
        assert "bot started" in log, f"{bot.name} logged nothing: the check would prove nothing"
        leaked = sorted(s for s in secrets if s in log)
        assert not leaked, f"{bot.name}'s log holds secrets: {[s[:4] + '…' for s in leaked]}"
    # Nor in Redis: every key has a TTL, and no secret is kept in clear.
    kept = shared_redis.everything() if shared_redis.pid is not None else {}
    assert all(ttl > 0 for _, ttl in kept.values()), {k: ttl for k, (_, ttl) in kept.items() if ttl <= 0}
    stored = b" ".join(k + b" " + v for k, (v, _) in kept.items())
    leaked = sorted(s for s in secrets if s.encode() in stored)
    assert not leaked, f"secrets in Redis: {[s[:4] + '…' for s in leaked]}"


def _secrets(om: OMSimulator, slack: SlackSimulator) -> set[str]:
    """The SIDs, hashes, passwords and tokens of the test, the response_urls and the join-link tokens handed out."""
    found = {SIGNING_SECRET, slack.bot_token, om.api_user.password or SIGNING_SECRET}
    found |= set(om.sessions) | set(om.expired_sids) | set(om.hashes)
    found |= {f"/actions/{token}" for token in slack.sinks}
    for sink in slack.sinks.values():
        for message in sink.messages:
            for button in buttons(message):
                url = str(button.get("url") or "")
                if "/join/" in url:
                    found.add(url.rsplit("/", 1)[1])
    return found


async def meet(
    bot: BotProcess, slack: SlackSimulator, user: SlackUser, text: str = "room-5"
) -> tuple[Sink, dict[str, Any]]:
    sent = await bot.driver.command(user, text)
    assert sent.ack.status_code == 200
    return sent.sink, await slack.next_message(sent.sink)


async def meet_link(bot: BotProcess, slack: SlackSimulator, user: SlackUser, text: str = "room-5") -> str:
    _, message = await meet(bot, slack, user, text)
    return str(join_button(message)["url"])


def secure_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["secure"][0]


async def test_a_link_made_on_a_opens_once_on_b_then_is_spent_on_a(
    pair: Start, om: OMSimulator, slack: SlackSimulator, alice: SlackUser
) -> None:
    a, b = await pair(PUBLIC_URL=PUBLIC)
    url = await meet_link(a, slack, alice)
    opened = await b.open_link(url)
    assert opened.status_code == 303
    joined = await om.open_join_url(opened.headers["location"])
    assert joined is not None and joined.user.external_id == "T0TEAM001:U0ALICE01"
    again = await a.open_link(url)
    assert again.status_code == 410 and "used already" in again.text
    assert (await b.open_link(url)).status_code == 410
    assert len(om.joins) == 1


async def test_with_public_url_every_link_a_handed_out_works_through_b_after_a_is_killed(
    pair: Start, om: OMSimulator, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    a, b = await pair(PUBLIC_URL=PUBLIC)
    urls = {user.id: await meet_link(a, slack, user) for user in (alice, bob)}
    a.kill()
    await a.proc.wait()
    for user_id, url in urls.items():
        opened = await b.open_link(url)
        assert opened.status_code == 303
        joined = await om.open_join_url(opened.headers["location"])
        assert joined is not None and joined.user.external_id == f"T0TEAM001:{user_id}"


async def test_without_public_url_b_keeps_the_links_a_made_alive_past_oms_timeout_after_a_is_killed(
    pair: Start, om: OMSimulator, slack: SlackSimulator, shared_redis: RedisServer, alice: SlackUser, bob: SlackUser
) -> None:
    om.idle_timeout = 3.0
    # A sixth of it between pool runs, a third of it before a link is refreshed, the lease for two runs.
    a, b = await pair(OPENMEETINGS_SESSION_TIMEOUT="1.5", JOIN_LINK_TTL="120")
    urls = {user.id: await meet_link(a if user is alice else b, slack, user) for user in (alice, bob)}
    sids = {user_id: om.hashes[secure_of(url)].session_sid for user_id, url in urls.items()}
    a.kill()
    await a.proc.wait()
    # A SID logged in now and never used again shows when OM's idle timeout has passed since A died.
    witness = om.login_sid()
    await om.wait_until(lambda: witness in om.expired_sids, timeout=20)
    assert all(sid in om.sessions for sid in sids.values()), "a pending link's SID was not kept alive"
    for user_id, url in urls.items():
        joined = await om.open_join_url(url)
        assert joined is not None and joined.user.external_id == f"T0TEAM001:{user_id}"
    prefix = Config.from_env(bot_env(om, slack, REDIS_URL=shared_redis.url)).redis_prefix
    kept = shared_redis.everything()
    assert prefix.startswith("omslack:") and any(k.startswith(prefix.encode() + b"link:") for k in kept)


async def test_the_rate_limit_holds_across_both_processes(
    pair: Start, slack: SlackSimulator, alice: SlackUser, bob: SlackUser
) -> None:
    a, b = await pair(PUBLIC_URL=PUBLIC)
    answers = [await meet(a if i % 2 == 0 else b, slack, alice) for i in range(11)]
    assert all(join_button(message) for _, message in answers[:10])
    refused = message_text(answers[10][1])
    assert "going fast" in refused and "at most 10 a minute" in refused
    assert join_button((await meet(b, slack, bob))[1])  # someone else is not affected
    # The 12th, on the other process, is refused too.
    assert "going fast" in message_text((await meet(a, slack, alice))[1])


async def test_share_clicked_on_b_posts_through_the_response_url_a_recorded(
    pair: Start, slack: SlackSimulator, alice: SlackUser
) -> None:
    a, b = await pair(PUBLIC_URL=PUBLIC)
    sink, mine = await meet(a, slack, alice)
    click = await b.driver.click(alice, mine, buttons(mine, "share_room")[0])
    assert click.ack.status_code == 200
    invite = await slack.next_message(sink, index=1)
    assert invite["response_type"] == "in_channel" and "<@U0ALICE01> invites you" in message_text(invite)
    assert not click.sink.messages  # the click's own response_url was not needed


async def _wait_until_redis_is(bot: BotProcess, state: str, within: float = 20.0) -> dict[str, Any]:
    """Polls /healthz until it says ``redis: <state>``; returns that body."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        body: dict[str, Any] = (await bot.healthz()).json()
        if body.get("redis") == state:
            return body
        assert loop.time() < deadline, f"{bot.name} still says {body}"
        await asyncio.sleep(0.1)  # polling /healthz, as a platform does


async def test_redis_stopped_and_started_again_with_public_url(
    pair: Start, om: OMSimulator, slack: SlackSimulator, own_redis: RedisServer, alice: SlackUser
) -> None:
    a, b = await pair(own_redis, PUBLIC_URL=PUBLIC)
    used = await meet_link(a, slack, alice)
    assert (await b.open_link(used)).status_code == 303
    own_redis.stop()
    during = await meet_link(b, slack, alice)  # /meet is still answered, with a link
    cant = await a.open_link(during)
    assert cant.status_code == 503 and "check this link right now" in cant.text  # never opened unchecked
    for bot in (a, b):
        body = await _wait_until_redis_is(bot, "unreachable")
        health = await bot.healthz()
        assert health.status_code == 200 and body["status"] == "degraded" and "Redis" in body["reason"]
        assert body["store"] == "redis" and own_redis.url not in health.text
    own_redis.start()  # empty: it kept nothing
    for bot in (a, b):
        assert (await _wait_until_redis_is(bot, "ok"))["status"] == "ok"
    # Redis forgot that ``used`` was spent: it is refused all the same, as is every link made before Redis came back.
    for url in (used, during):
        refused = await b.open_link(url)
        assert refused.status_code == 410 and "reset" in refused.text
    fresh = await meet_link(a, slack, alice)
    assert (await b.open_link(fresh)).status_code == 303
    assert (await a.open_link(fresh)).status_code == 410
    assert len(om.joins) == 0 or all(j.user.external_id.endswith(":U0ALICE01") for j in om.joins)
    assert a.proc.returncode is None and b.proc.returncode is None


async def test_redis_stopped_and_started_again_without_public_url(
    pair: Start, om: OMSimulator, slack: SlackSimulator, own_redis: RedisServer, alice: SlackUser, bob: SlackUser
) -> None:
    om.idle_timeout = 3.0
    a, b = await pair(own_redis, OPENMEETINGS_SESSION_TIMEOUT="1.5", JOIN_LINK_TTL="120")
    own_redis.stop()
    during = await meet_link(a, slack, alice)  # a working link: A keeps its SID alive in memory meanwhile
    opened = await om.open_join_url(await meet_link(b, slack, bob))
    assert opened is not None and opened.user.external_id == "T0TEAM001:U0BOB0001"
    assert (await _wait_until_redis_is(a, "unreachable"))["status"] == "degraded"
    own_redis.start()
    for bot in (a, b):
        await _wait_until_redis_is(bot, "ok")
    # A's next pool run moves the link it kept in memory into Redis; then A dies, and B keeps it alive.
    prefix = Config.from_env(bot_env(om, slack, REDIS_URL=own_redis.url)).redis_prefix
    client = own_redis.client()
    try:
        await om.wait_until(lambda: client.exists(prefix + "link:" + _link_id(slack, during)) == 1, timeout=20)
    finally:
        client.close()
    a.kill()
    await a.proc.wait()
    witness = om.login_sid()
    await om.wait_until(lambda: witness in om.expired_sids, timeout=20)
    joined = await om.open_join_url(during)
    assert joined is not None and joined.user.external_id == "T0TEAM001:U0ALICE01"
    assert b.proc.returncode is None


def _link_id(slack: SlackSimulator, url: str) -> str:
    """The link id the Join button carries beside ``url`` (it names the pending link, not its hash)."""
    import json

    for sink in slack.sinks.values():
        for message in sink.messages:
            for button in buttons(message):
                if button.get("url") == url:
                    return str(json.loads(button["value"])["l"])
    raise AssertionError("no button with that url")
