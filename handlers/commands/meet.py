"""``/meet``: ack at once (Slack allows 3 s), then answer on the response_url."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import blocks
from bot.context import Context

from ..background import Background

log = logging.getLogger(__name__)

COMMAND = "/meet"


def register(app: AsyncApp, context: Context, background: Background) -> None:
    async def answer(body: dict[str, Any], response_url: str) -> None:
        try:
            message = await context.meet.on_command(body)
        except Exception:
            log.exception("meet: unexpected failure")
            message = blocks.error_message("Something went wrong on my side. Please try again.")
        await context.slack.respond(response_url, message)

    async def meet(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not response_url:
            log.warning("meet: command without a response_url; nothing to answer on")
            return
        background.spawn(answer(body, response_url), "meet")

    app.command(COMMAND)(meet)
