"""Buttons on /meet's messages: the personal Join link, Join in lists and invitations, Share, paging."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot import blocks
from bot.context import Context
from handlers.replies import acked


def register(app: AsyncApp, context: Context) -> None:
    meet = context.meet
    app.action(blocks.LINK_ACTION)(acked(context, meet.on_join_click, "join"))
    app.action(blocks.PICK_ACTION)(acked(context, meet.on_pick_click, "pick"))
    app.action(blocks.SHARE_ACTION)(acked(context, meet.on_share_click, "share"))
    app.action(blocks.PAGE_ACTION)(acked(context, meet.on_page_click, "page"))
