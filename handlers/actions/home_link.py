"""The personal link in the Home tab's modal was opened (without PUBLIC_URL): the room joins the recent rooms."""

from __future__ import annotations

from om import OMError

from .. import messages, rooms
from ..deps import Deps
from ..payloads import ActionRequest

ACTION_ID = messages.HOME_LINK_ACTION


async def answer(request: ActionRequest, deps: Deps) -> str:
    named = rooms.from_value(request.value)
    if named is None:
        return "invalid"
    try:
        room = await rooms.by_value(deps.rooms, *named)
    except OMError:
        room = rooms.RoomRef(named[0], "", named[1])
    await deps.recent.add(request.who.external_id, room)
    return "ok"
