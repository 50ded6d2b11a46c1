"""Builds the Bolt app. No module-level app: tests and the server each build their own."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from handlers.background import Background

from .context import Context


def build_app(context: Context, background: Background) -> AsyncApp:
    config = context.config

    async def authorize(enterprise_id: str | None, team_id: str | None, **_: Any) -> AuthorizeResult:
        # The bot token is fixed, so there is nothing to look up; Bolt's default would call
        # auth.test before the first ack, putting a Slack round trip (and its failures) there.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=config.slack_bot_token)

    app = AsyncApp(
        signing_secret=config.slack_signing_secret,
        authorize=authorize,
        client=AsyncWebClient(base_url=config.slack_api_url),
        logger=logging.getLogger("slack_bolt"),
        # Listeners ack and hand the rest to ``background``, so Bolt returns the ack as soon as the listener
        # does. With False, Bolt would run the listener as a task and poll for the ack every 10 ms.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    handlers.register(app, context, background)
    return app
