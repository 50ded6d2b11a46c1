"""The Join button: ack the click, then swap the spent link for a fresh one."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import blocks
from bot.context import Context

log = logging.getLogger(__name__)


def register(app: AsyncApp, context: Context) -> None:
    async def join(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not response_url:
            return
        try:
            message = await context.meet.on_click(body)
        except Exception:
            log.exception("join: unexpected failure")
            context.metrics.count("button", None, crashed=True)
            message = blocks.replacing(blocks.error_message("Something went wrong on my side. Run /meet again."))
        else:
            context.metrics.count("button", message)
        if message is not None:
            await context.slack.respond(response_url, message)

    app.action(blocks.JOIN_ACTION)(join)
