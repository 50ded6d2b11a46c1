"""The HTTP server: ``POST /slack/events`` for Slack and ``GET /healthz`` for the platform."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from handlers.background import Background
from om import OMError

from .app import build_app
from .config import Config
from .context import Context
from .logs import quiet_chatty_loggers
from .scheduler import build_scheduler

log = logging.getLogger(__name__)

CONTEXT: web.AppKey[Context] = web.AppKey("context", Context)
BOLT: web.AppKey[AsyncApp] = web.AppKey("bolt", AsyncApp)
BACKGROUND: web.AppKey[Background] = web.AppKey("background", Background)
HEALTH_TIMEOUT = 3.0
# On shutdown, answers already acked get this long to reach Slack.
DRAIN_TIMEOUT = 4.0
# Slack's payloads are a few KB; refuse anything far beyond before reading it.
MAX_BODY = 512 * 1024


def create_web_app(config: Config) -> web.Application:
    quiet_chatty_loggers()
    web_app = web.Application(client_max_size=MAX_BODY)
    context = Context.build(config)
    web_app[CONTEXT] = context
    web_app[BACKGROUND] = background = Background()
    web_app[BOLT] = build_app(context, background)
    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.cleanup_ctx.append(_lifecycle)
    return web_app


async def _lifecycle(web_app: web.Application) -> Any:
    context = web_app[CONTEXT]
    scheduler = build_scheduler(context.pool)
    scheduler.start()
    if not context.config.verify_tls:
        log.warning("OPENMEETINGS_VERIFY_TLS=false: the OpenMeetings certificate is not checked (testing only)")
        if context.config.ca_bundle:
            log.warning("OPENMEETINGS_CA_BUNDLE is ignored while OPENMEETINGS_VERIFY_TLS=false")
    log.info(
        "bot started: openmeetings=%s pool_size=%d session_timeout=%ss join_link_ttl=%ss",
        context.config.openmeetings_url,
        context.pool.size,
        context.config.session_timeout,
        context.config.join_link_ttl,
    )
    yield
    await web_app[BACKGROUND].drain(DRAIN_TIMEOUT)
    scheduler.shutdown(wait=False)
    await context.close()
    log.info("bot stopped")


async def slack_events(request: web.Request) -> web.Response:
    bolt = request.app[BOLT]
    bolt_response = await bolt.async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(bolt_response)


async def healthz(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    status = context.pool.status()
    body: dict[str, Any] = {
        "pool": {"fresh": status.fresh, "target": status.target, "links": status.links},
    }
    problems: list[str] = []
    try:
        health = await asyncio.wait_for(context.om.health(), HEALTH_TIMEOUT)
        body["openmeetings"] = "ok" if health.ok else "not ready"
        if not health.ok:
            problems.append("OpenMeetings reports it is not ready (inited/installed/dbOk)")
    except (OMError, TimeoutError) as exc:
        body["openmeetings"] = "unreachable"
        problems.append(str(exc) if isinstance(exc, OMError) else "OpenMeetings did not answer in time")
    if status.auth_blocked_for > 0:
        problems.append(status.last_error or "OpenMeetings refused the bot's login")
    elif status.fresh == 0 and status.last_error:
        problems.append(status.last_error)
    elif status.fresh == 0 and status.logins == 0:
        # A burst may drain the pool for a moment; that is busy, not broken.
        problems.append("no OpenMeetings session is ready yet")
    if problems:
        body["status"] = "unhealthy"
        body["reason"] = "; ".join(problems)
        return web.json_response(body, status=503)
    body["status"] = "ok"
    return web.json_response(body)
