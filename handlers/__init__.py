"""Slack listeners, grouped by Slack surface. ``register`` wires them onto an app."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.context import Context

from .actions import join
from .commands import meet


def register(app: AsyncApp, context: Context) -> None:
    meet.register(app, context)
    join.register(app, context)
