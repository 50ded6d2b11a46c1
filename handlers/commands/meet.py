"""``/meet``: ack at once, then answer on the command's response_url."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.context import Context
from handlers.replies import acked

COMMAND = "/meet"


def register(app: AsyncApp, context: Context) -> None:
    app.command(COMMAND)(acked(context, context.meet.on_command, "meet"))
