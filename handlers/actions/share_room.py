"""Share in channel: the invitation goes out through the command's own response_url, which works in channels the
bot is not a member of; after that URL's 30 minutes (or a restart), through the click's."""

from __future__ import annotations

from om import OMError

from .. import access, messages, problems, rooms
from ..deps import Deps
from ..messages import Reply
from ..payloads import ActionRequest

ACTION_ID = messages.SHARE_ACTION


async def answer(request: ActionRequest, deps: Deps) -> list[Reply]:
    own_url = request.response_url
    if (refused := await access.click_refusal(deps, request)) is not None:
        return refused
    named = rooms.from_value(request.value)
    if named is None:
        return []
    share_id = request.value.get("s")
    url = (await deps.shares.get(share_id) if isinstance(share_id, str) else None) or own_url
    try:
        room = await rooms.by_value(deps.rooms, *named)
    except OMError as exc:
        says, outcome = problems.explain(exc)
        return [Reply(own_url, messages.error_message(says), outcome)]
    return [Reply(url, messages.invite_message(request.who.user_id, room), "ok")]
