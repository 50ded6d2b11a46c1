"""Socket Mode: the bot dials out to Slack over a WebSocket instead of being reached at ``/slack/events``.

For bots with no public URL (an OM server inside a company network). slack_sdk's aiohttp client
gets a WebSocket URL from ``apps.connections.open`` with the app-level token, acks every envelope
once Bolt has acked it, and reconnects by itself after a ``disconnect`` message or a dropped connection.
"""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from ..config import Config

log = logging.getLogger(__name__)

# Also how long a silently dropped connection can go unnoticed: the client checks it this often.
PING_INTERVAL = 10.0


class SocketModeLink:
    def __init__(self, bolt: AsyncApp, config: Config, *, ping_interval: float = PING_INTERVAL) -> None:
        if config.slack_app_token is None:
            raise ValueError("Socket Mode needs SLACK_APP_TOKEN")
        self._bolt = bolt
        self._config = config
        self._app_token = config.slack_app_token
        self._ping_interval = ping_interval
        self._handler: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # The client starts tasks as it is built, so it needs the running loop. Its connect()
        # retries for ever while Slack is unreachable or the token is refused, so it runs in the
        # background: /healthz stays up and says why.
        self._handler = AsyncSocketModeHandler(
            self._bolt,
            app_token=self._app_token,
            logger=logging.getLogger("slack_sdk.socket_mode"),
            web_client=AsyncWebClient(base_url=self._config.slack_api_url),
            ping_interval=self._ping_interval,
        )
        self._connecting = asyncio.get_running_loop().create_task(self._handler.connect_async())
        log.info("socket mode: connecting to Slack through %sapps.connections.open", self._config.slack_api_url)

    async def connected(self) -> bool:
        return self._handler is not None and await self._handler.client.is_connected()

    async def close(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        handler, self._handler = self._handler, None
        if handler is None:
            return
        client = handler.client
        await handler.close_async()
        # close() cancels the client's loops without waiting for them; wait, so none outlives the bot.
        loops = [t for t in (client.message_processor, client.current_session_monitor, client.message_receiver) if t]
        await asyncio.gather(*loops, return_exceptions=True)
        log.info("socket mode: disconnected from Slack")
