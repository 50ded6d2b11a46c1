"""The HTTP server: ``POST /slack/events`` for Slack, ``GET /healthz`` for the platform, ``GET /metrics``.

With ``SLACK_APP_TOKEN`` set, Slack is reached over Socket Mode instead: the same server then runs without
``/slack/events``, so the pool's lifecycle, ``/healthz`` and ``/metrics`` are the same in both modes. The bot's life
is two named phases, ``startup`` and ``shutdown``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import CONTENT_TYPE_LATEST

from handlers.browser import open_link
from handlers.browser.open_link import OpenRequest

from .app import Bot, build
from .config import Config
from .health import WAIT, verdict
from .logs import quiet_chatty_loggers
from .scheduler import build_scheduler
from .slack.ingress import Ingress, SignatureCheck
from .slack.socket_mode import PING_INTERVAL, SocketModeLink

log = logging.getLogger(__name__)

BOT: web.AppKey[Bot] = web.AppKey("bot", Bot)
SOCKET: web.AppKey[SocketModeLink] = web.AppKey("socket", SocketModeLink)
DRAIN_TIMEOUT = 8.0
# Slack's payloads are a few KB; refuse anything far beyond before reading it.
MAX_BODY = 512 * 1024


def create_web_app(config: Config, *, socket_ping_interval: float = PING_INTERVAL) -> web.Application:
    quiet_chatty_loggers()
    web_app = web.Application(client_max_size=MAX_BODY)
    bot = build(config)
    web_app[BOT] = bot
    web_app.router.add_get("/healthz", healthz)
    if config.metrics_enabled:
        web_app.router.add_get("/metrics", metrics)
    if config.public_url:
        # GET and HEAD: a link checker's HEAD gets the headers of the preview page, and nothing is spent.
        web_app.router.add_get("/join/{token}", join_link)
    if config.socket_mode:
        web_app[SOCKET] = SocketModeLink(bot.bolt, config, ping_interval=socket_ping_interval)
    else:
        ingress = Ingress(bot.bolt, SignatureCheck(config.slack_signing_secret), bot.background.spawn)
        web_app.router.add_post("/slack/events", ingress.handle)
    web_app.cleanup_ctx.append(_life)
    return web_app


@dataclass(slots=True)
class Running:
    """What startup started and shutdown stops."""

    scheduler: AsyncIOScheduler
    warm_up: asyncio.Task[object] | None


async def _life(web_app: web.Application) -> AsyncIterator[None]:
    bot, link = web_app[BOT], web_app.get(SOCKET)
    running = await startup(bot, link)
    yield
    await shutdown(bot, link, running)


async def startup(bot: Bot, link: SocketModeLink | None) -> Running:
    """Starts the scheduler (its first run fills the pool), learns the bot's workspace, connects Socket Mode."""
    config = bot.config
    store_check = bot.stores.check if bot.stores.redis else None
    scheduler = build_scheduler(bot.pool, bot.rooms, bot.health, bot.deps.home, store_check)
    scheduler.start()
    # Learn the bot's own workspace before the first command needs it (SLACK_ALLOWED_TEAMS unset).
    warm_up = asyncio.create_task(bot.slack.own_team()) if not config.allowed_teams else None
    if not config.verify_tls:
        log.warning("OPENMEETINGS_VERIFY_TLS=false: the OpenMeetings certificate is not checked (testing only)")
        if config.ca_bundle:
            log.warning("OPENMEETINGS_CA_BUNDLE is ignored while OPENMEETINGS_VERIFY_TLS=false")
    if config.redis_url.startswith("rediss://") and not config.redis_verify_tls:
        log.warning("REDIS_VERIFY_TLS=false: Redis's certificate is not checked (the connection is encrypted only)")
    if link is not None:
        # After the scheduler, so the pool is running before the first envelope and still running after the last.
        await link.start()
    log.info(
        "bot started: slack=%s openmeetings=%s pool_size=%d session_timeout=%ss join_link_ttl=%ss store=%s",
        "socket-mode" if config.socket_mode else "http",
        config.openmeetings_url,
        bot.pool.size,
        config.session_timeout,
        config.join_link_ttl,
        bot.stores.kind,
    )
    return Running(scheduler, warm_up)


async def shutdown(bot: Bot, link: SocketModeLink | None, running: Running) -> None:
    """A deploy sends SIGTERM: no new envelopes, then the answers already acked still reach their people."""
    if link is not None:
        await link.close()
    if running.warm_up is not None and not running.warm_up.done():
        running.warm_up.cancel()
    running.scheduler.shutdown(wait=False)
    unfinished = await bot.drain(DRAIN_TIMEOUT)
    if unfinished:
        log.warning("bot stopping: %d replies did not finish in %.0f s", unfinished, DRAIN_TIMEOUT)
    await bot.close()
    log.info("bot stopped")


async def healthz(request: web.Request) -> web.Response:
    bot = request.app[BOT]
    # OM and Redis are checked side by side, each for WAIT seconds at most.
    seen, store = await asyncio.gather(bot.health.latest(), bot.stores.latest(WAIT))
    link = request.app.get(SOCKET)
    connected = await link.connected() if link is not None else None
    status, body = verdict(
        seen, time.monotonic(), bot.pool.status(), bot.slack.errors, bot.slack.recent_problem(), connected, store
    )
    return web.json_response(body, status=status)


async def join_link(request: web.Request) -> web.Response:
    bot = request.app[BOT]
    opened = OpenRequest(request.method, request.match_info["token"], request.headers.get("User-Agent", ""))
    page, outcome = await open_link.answer(opened, bot.deps)
    bot.metrics.count("link", outcome)
    # No cache may keep a page that a reload must see change, nor a referrer carry the token onwards.
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
    if page.location:
        raise web.HTTPSeeOther(page.location, headers=headers)
    return web.Response(status=page.status, text=page.html(), content_type="text/html", headers=headers)


async def metrics(request: web.Request) -> web.Response:
    body = request.app[BOT].metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
