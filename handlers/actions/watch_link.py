"""The personal Watch link was opened: Slack tells the bot of the click too; there is nothing more to do (the link
was minted for that person at the click on Watch, and a hash is spent by OpenMeetings itself)."""

from __future__ import annotations

from .. import messages
from ..deps import Deps
from ..payloads import ActionRequest

ACTION_ID = messages.WATCH_LINK_ACTION


async def answer(request: ActionRequest, deps: Deps) -> str:
    return "ignored"
