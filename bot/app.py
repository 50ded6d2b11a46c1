"""Builds the Bolt app. No module-level app: tests and the server each build their own."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

import handlers

from .context import Context
from .logs import request_id_middleware


def build_app(context: Context) -> AsyncApp:
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
        # Listeners ack and hand their work to Context.spawn (handlers/replies.py), so the ack goes out as
        # soon as the listener returns; when bot/server.py has acked already, they do the work in place.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        # bot/server.py checks the signature of every HTTP request before Bolt sees it; Socket Mode needs none.
        request_verification_enabled=False,
    )
    app.use(request_id_middleware)
    handlers.register(app, context)
    return app
