"""The shape every listener shares: ack first, then do the work and post its replies.

Slack gives a request 3 seconds; OM may take longer, so nothing touches OM
before the ack. A failure after the ack still gets the person a message.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck

from bot import blocks
from bot.ack_first import ACKED
from bot.context import Context
from bot.meet import Reply

log = logging.getLogger(__name__)

SORRY = "Something went wrong on my side. Please run /meet again."

Work = Callable[[dict[str, Any]], Awaitable[list[Reply]]]


def acked(context: Context, work: Work, name: str) -> Callable[..., Awaitable[None]]:
    trigger = "command" if name == "meet" else "button"

    async def answer(body: dict[str, Any], response_url: str) -> None:
        try:
            replies = await work(body)
        except Exception:
            log.exception("%s: unexpected failure", name)
            context.metrics.count(trigger, None, crashed=True)
            replies = [Reply(response_url, blocks.error_message(SORRY))]
        else:
            context.metrics.count(trigger, replies[0].message if replies else None)
        for reply in replies:
            await context.slack.respond(reply.response_url, reply.message)

    async def listener(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        response_url = body.get("response_url")
        if not isinstance(response_url, str) or not response_url:
            log.warning("%s: request without a response_url; nothing to answer on", name)
            return
        if ACKED.get():
            # The server acked this request before Bolt saw it, and this is already background work.
            await answer(body, response_url)
            return
        # Bolt runs with process_before_response=True: returning now sends the ack at once, where
        # Bolt's own background mode would poll for it every 10 ms.
        context.spawn(answer(body, response_url), name)

    listener.__name__ = name
    return listener
