"""The HTTP server: ``POST /slack/events`` for Slack, ``GET /healthz`` for the platform, ``GET /metrics``.

With ``SLACK_APP_TOKEN`` set, Slack is reached over Socket Mode instead: the same server then runs
without ``/slack/events``, so the pool's lifecycle, ``/healthz`` and ``/metrics`` are the same in both modes.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from om import OMError

from .ack_first import ACKED
from .app import build_app
from .config import Config
from .context import Context
from .logs import quiet_chatty_loggers
from .scheduler import build_scheduler
from .socket_mode import PING_INTERVAL, SocketModeLink

log = logging.getLogger(__name__)

CONTEXT: web.AppKey[Context] = web.AppKey("context", Context)
BOLT: web.AppKey[AsyncApp] = web.AppKey("bolt", AsyncApp)
SOCKET: web.AppKey[SocketModeLink] = web.AppKey("socket", SocketModeLink)
HEALTH_TIMEOUT = 3.0
DRAIN_TIMEOUT = 8.0
# Slack's payloads are a few KB; refuse anything far beyond before reading it.
MAX_BODY = 512 * 1024


class SafeVerifier(SignatureVerifier):
    """Slack's signature check, with a malformed timestamp header counted as a bad signature, not an error."""

    def is_valid(self, body: str | bytes, timestamp: str | None, signature: str | None) -> bool:
        try:
            return super().is_valid(body=body, timestamp=timestamp, signature=signature)
        except ValueError:
            return False


VERIFIER: web.AppKey[SafeVerifier] = web.AppKey("verifier", SafeVerifier)


def create_web_app(config: Config, *, socket_ping_interval: float = PING_INTERVAL) -> web.Application:
    quiet_chatty_loggers()
    web_app = web.Application(client_max_size=MAX_BODY)
    context = Context.build(config)
    web_app[CONTEXT] = context
    web_app[BOLT] = build_app(context)
    web_app.router.add_get("/healthz", healthz)
    if config.metrics_enabled:
        web_app.router.add_get("/metrics", metrics)
    web_app.cleanup_ctx.append(_lifecycle)
    if config.socket_mode:
        web_app[SOCKET] = SocketModeLink(web_app[BOLT], config, ping_interval=socket_ping_interval)
        # After _lifecycle, so the pool is running before the first envelope and still running after the last.
        web_app.cleanup_ctx.append(_socket_mode)
    else:
        web_app[VERIFIER] = SafeVerifier(config.slack_signing_secret)
        web_app.router.add_post("/slack/events", slack_events)
    return web_app


async def _lifecycle(web_app: web.Application) -> Any:
    context = web_app[CONTEXT]
    scheduler = build_scheduler(context.pool, context.rooms)
    scheduler.start()
    # Learn the bot's own workspace before the first command needs it (SLACK_ALLOWED_TEAMS unset).
    warm_up = asyncio.create_task(context.slack.own_team()) if not context.config.allowed_teams else None
    if not context.config.verify_tls:
        log.warning("OPENMEETINGS_VERIFY_TLS=false: the OpenMeetings certificate is not checked (testing only)")
        if context.config.ca_bundle:
            log.warning("OPENMEETINGS_CA_BUNDLE is ignored while OPENMEETINGS_VERIFY_TLS=false")
    log.info(
        "bot started: slack=%s openmeetings=%s pool_size=%d session_timeout=%ss join_link_ttl=%ss",
        "socket-mode" if context.config.socket_mode else "http",
        context.config.openmeetings_url,
        context.pool.size,
        context.config.session_timeout,
        context.config.join_link_ttl,
    )
    yield
    if warm_up is not None and not warm_up.done():
        warm_up.cancel()
    scheduler.shutdown(wait=False)
    # A deploy sends SIGTERM: answers already acked still reach the people waiting for them.
    unfinished = await context.drain(DRAIN_TIMEOUT)
    if unfinished:
        log.warning("bot stopping: %d replies did not finish in %.0f s", unfinished, DRAIN_TIMEOUT)
    await context.close()
    log.info("bot stopped")


async def _socket_mode(web_app: web.Application) -> Any:
    link = web_app[SOCKET]
    await link.start()
    yield
    await link.close()


async def slack_events(request: web.Request) -> web.Response:
    bolt = request.app[BOLT]
    body = await request.text()
    if not request.app[VERIFIER].is_valid_request(body, request.headers):
        if not _is_ssl_check(body):
            # Checked here for every request, so Bolt (built with its own check off) never sees an unsigned one.
            return web.json_response({"error": "invalid request"}, status=401)
    elif _acked_empty(body):
        # A slash command or a button click, signed by Slack: its ack is an empty 200 whatever the listener
        # does, so it goes out now and Bolt dispatches behind it. Under a burst, each ack then costs an HMAC and
        # a look at the body, not a trip through Bolt's middleware chain.
        headers: dict[str, str | Sequence[str]] = dict(request.headers)
        request.app[CONTEXT].spawn_after_acks(_dispatch(bolt, body, request.query_string, headers), "dispatch")
        return web.Response(status=200)
    bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
    return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))


def _is_ssl_check(body: str) -> bool:
    # Slack's certificate check may come unsigned; Bolt answers it with an empty 200 and runs no listener.
    return "&ssl_check=1" in "&" + body


def _acked_empty(body: str) -> bool:
    # Form keys can't hold a raw "&" or "=", so this finds a "command" field and nothing else; it spares
    # parsing the body here a second time (Bolt parses it too).
    if "&command=" in "&" + body:
        return True
    if not body.startswith("payload=") and "&payload=" not in body:
        return False
    payload = parse_qs(body, max_num_fields=64).get("payload")
    if not payload:
        return False
    try:
        parsed = json.loads(payload[0])
    except ValueError:
        return False
    return isinstance(parsed, dict) and parsed.get("type") == "block_actions"


async def _dispatch(bolt: AsyncApp, body: str, query: str, headers: dict[str, str | Sequence[str]]) -> None:
    ACKED.set(True)  # this task's own context: the listener's work can run in it (handlers/replies.py)
    response = await bolt.async_dispatch(AsyncBoltRequest(body=body, query=query, headers=headers))
    if response.status != 200:
        log.warning("slack request answered %d after its early ack", response.status)


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
    # Slack trouble is reported, not failed on: restarting the bot would not fix Slack.
    slack_problem = context.slack.recent_problem()
    body["slack_api"] = {"errors": context.slack.errors, "recent_problem": slack_problem}
    if SOCKET in request.app:
        connected = await request.app[SOCKET].connected()
        body["slack"] = "connected" if connected else "not connected"
        if not connected:
            problems.append("not connected to Slack over Socket Mode (check SLACK_APP_TOKEN; the log says more)")
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


async def metrics(request: web.Request) -> web.Response:
    body = request.app[CONTEXT].metrics.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
