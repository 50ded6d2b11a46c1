"""Slack listeners, grouped by Slack surface. ``register`` wires them onto an app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.context import Context

from .actions import join
from .background import Background
from .commands import meet


def register(app: AsyncApp, context: Context, background: Background) -> None:
    meet.register(app, context, background)
    join.register(app, context, background)
