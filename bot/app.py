"""The one place that builds a running bot: clients, the session pool, the Bolt app and the handlers' ``Deps``.

No module-level app: the server and each test build their own, and every part gets what it needs here, explicitly.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from handlers.deps import BotStatus, Deps, Settings
from handlers.home_activity import HomeActivity
from handlers.tokens import LinkSigner
from om import OMClient, RoomDirectory, SessionPool

from .background import Background
from .config import Config
from .health import CHECK_TIMEOUT, HealthWatch
from .http import make_http_client
from .logs import request_id_middleware
from .metrics import Metrics
from .slack.web_api import SlackAPI
from .stores import Stores, build_stores


@dataclass(slots=True)
class Bot:
    config: Config
    http: httpx.AsyncClient
    om: OMClient
    pool: SessionPool
    rooms: RoomDirectory
    slack: SlackAPI
    metrics: Metrics
    health: HealthWatch
    background: Background
    bolt: AsyncApp
    deps: Deps
    # Spent links, rate limits, Share buttons and pending links: in memory, or in Redis for every process.
    stores: Stores

    async def drain(self, within: float) -> int:
        return await self.background.drain(within)

    async def close(self) -> None:
        await self.health.close()
        await self.pool.close()
        await self.stores.close()
        await self.http.aclose()


def build(config: Config) -> Bot:
    http = make_http_client(config)
    metrics = Metrics()
    # A login may wait out OM 9's 6-16 s wrong-password delay on top of the usual answer time.
    om = OMClient(
        config.openmeetings_url,
        http,
        timeout=config.om_timeout,
        login_timeout=config.om_timeout + 20,
        observe=metrics.observe_om_request,
    )
    stores = build_stores(config, metrics.observe_redis)
    pool = SessionPool(
        om,
        config.openmeetings_user,
        config.openmeetings_password,
        size=config.pool_size,
        max_size=config.pool_max,
        session_timeout=config.session_timeout,
        link_ttl=config.join_link_ttl,
        max_concurrent_logins=config.max_concurrent_logins,
        login_backoff=config.login_backoff,
        pending=stores.pending,
    )
    rooms = RoomDirectory(pool)
    slack = SlackAPI(http, config.slack_api_url, config.slack_bot_token)
    metrics.watch(pool, slack)
    background = Background()
    health = HealthWatch(om, timeout=min(CHECK_TIMEOUT, config.om_timeout))
    deps = Deps(
        settings=settings_of(config),
        pool=pool,
        rooms=rooms,
        slack=slack,
        shares=stores.shares,
        limiter=stores.limiter,
        signer=LinkSigner(config.join_link_key, config.join_link_ttl) if config.public_url else None,
        spent=stores.spent,
        recent=stores.recent,
        home_throttle=stores.home_throttle,
        status=lambda: bot_status(health, pool, om),
        home=HomeActivity(),
        spawn=background.spawn,
        count=metrics.count,
    )
    bolt = build_bolt(config)
    handlers.register(bolt, deps)
    return Bot(config, http, om, pool, rooms, slack, metrics, health, background, bolt, deps, stores)


def bot_status(health: HealthWatch, pool: SessionPool, om: OMClient) -> BotStatus:
    seen = health.seen
    return BotStatus(
        openmeetings=seen.openmeetings if seen is not None else "unknown",
        version=om.version_seen,
        sessions_ready=pool.status().fresh,
        checked_seconds_ago=round(time.monotonic() - seen.at, 1) if seen is not None else None,
    )


def settings_of(config: Config) -> Settings:
    return Settings(
        openmeetings_url=config.openmeetings_url,
        external_type=config.external_type,
        language=config.language,
        default_room=config.default_room,
        channel_rooms=config.channel_rooms,
        moderators=config.moderators,
        admins_are_moderators=config.admins_are_moderators,
        allowed_teams=config.allowed_teams,
        allow_guests=config.allow_guests,
        public_url=config.public_url,
        recordings=config.recordings,
    )


def build_bolt(config: Config) -> AsyncApp:
    async def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # The bot token is fixed, so there is nothing to look up; Bolt's default would call auth.test before the
        # first ack, putting a Slack round trip (and its failures) there.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=config.slack_bot_token)

    logger = logging.getLogger("slack_bolt")
    if not any(isinstance(f, _TokenNotUnused) for f in logger.filters):
        logger.addFilter(_TokenNotUnused())
    app = AsyncApp(
        signing_secret=config.slack_signing_secret,
        authorize=authorize,
        # Its own client only for SLACK_API_URL; every call the bot makes goes through bot/slack/web_api.py.
        client=AsyncWebClient(base_url=config.slack_api_url),
        logger=logger,
        # Listeners ack, then do their work in the dispatch the server started behind its own ack, or hand it to
        # Background (Socket Mode); so the ack goes out as soon as the listener returns.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        # bot/slack/ingress.py checks the signature of every HTTP request before Bolt sees it; Socket Mode needs
        # none.
        request_verification_enabled=False,
    )
    app.use(request_id_middleware)
    return app


class _TokenNotUnused(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused", logged on every start: Bolt reads
    SLACK_BOT_TOKEN from the environment by itself, and the token is in use, through ``authorize``."""

    _TEXT = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._TEXT
