"""``app_home_opened``: the Home tab (not the Messages tab) was opened, so the person's view is published."""

from __future__ import annotations

from .. import home
from ..deps import Deps
from ..payloads import HomeOpened

EVENT = "app_home_opened"


async def answer(request: HomeOpened, deps: Deps) -> str:
    if request.tab != "home" or not request.who.user_id:
        return "ignored"
    return await home.publish(deps, request.who)
