"""Everything one running bot holds: settings, the pooled HTTP client, OM and Slack clients."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import httpx

from om import OMClient, RoomDirectory, SessionPool

from .ack_first import AckFirst
from .config import Config
from .http import make_http_client
from .meet import MeetService
from .metrics import Metrics
from .shares import ShareStore
from .slack_api import SlackAPI


@dataclass(slots=True)
class Context:
    config: Config
    http: httpx.AsyncClient
    om: OMClient
    pool: SessionPool
    rooms: RoomDirectory
    slack: SlackAPI
    meet: MeetService
    metrics: Metrics
    # Work still running after its ack; a shutdown lets it finish before the HTTP client closes.
    ack_first: AckFirst
    inflight: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.ack_first.start = self.spawn

    @classmethod
    def build(cls, config: Config) -> Context:
        ack_first = AckFirst()
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
        pool = SessionPool(
            om,
            config.openmeetings_user,
            config.openmeetings_password,
            size=config.pool_size,
            session_timeout=config.session_timeout,
            link_ttl=config.join_link_ttl,
            max_concurrent_logins=config.max_concurrent_logins,
            login_backoff=config.login_backoff,
        )
        rooms = RoomDirectory(pool)
        slack = SlackAPI(http, config.slack_api_url, config.slack_bot_token)
        meet = MeetService(config, pool, rooms, slack, ShareStore())
        metrics.watch(pool, slack)
        return cls(config, http, om, pool, rooms, slack, meet, metrics, ack_first)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Runs work after an ack, tracked until it ends so a shutdown can let it finish."""
        task = asyncio.get_running_loop().create_task(work, name=name)
        self.inflight.add(task)
        task.add_done_callback(self.inflight.discard)

    def spawn_after_acks(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Runs work after an early ack, once a burst's other acks have gone out (bot/ack_first.py)."""
        self.ack_first.hand_over(work, name)

    async def drain(self, within: float) -> int:
        """Waits up to ``within`` seconds for in-flight work; returns how many were still running then.

        Work started by work still running (a dispatch starts its reply) is waited for too.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            self.ack_first.flush()
            pending = {task for task in self.inflight if not task.done()}
            if not pending:
                return 0
            remaining = deadline - loop.time()
            if remaining > 0:
                await asyncio.wait(pending, timeout=remaining)
                continue
            for task in pending:
                task.cancel()
            return len(pending)

    async def close(self) -> None:
        await self.pool.close()
        await self.http.aclose()
