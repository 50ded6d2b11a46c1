"""The Join button: ack the click, then swap the spent link for a fresh one."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import blocks
from bot.context import Context

from ..background import Background

log = logging.getLogger(__name__)


def register(app: AsyncApp, context: Context, background: Background) -> None:
    async def answer(body: dict[str, Any], response_url: str) -> None:
        try:
            message = await context.meet.on_click(body)
        except Exception:
            log.exception("join: unexpected failure")
            message = blocks.replacing(blocks.error_message("Something went wrong on my side. Run /meet again."))
        if message is not None:
            await context.slack.respond(response_url, message)

    async def join(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not response_url:
            return
        background.spawn(answer(body, response_url), "join")

    app.action(blocks.JOIN_ACTION)(join)
