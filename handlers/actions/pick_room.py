"""Join in a room list, a choice of rooms or a channel invitation: the clicker gets a link of their own."""

from __future__ import annotations

from om import OMError

from .. import access, links, messages, problems, rooms
from ..deps import Deps
from ..messages import Reply
from ..payloads import ActionRequest

ACTION_ID = messages.PICK_ACTION


async def answer(request: ActionRequest, deps: Deps) -> list[Reply]:
    url = request.response_url
    if (refused := await access.click_refusal(deps, request)) is not None:
        return refused
    named = rooms.from_value(request.value)
    if named is None:
        return []
    # In a channel invitation the message is everyone's: never replace it, answer the clicker alone. A choice of
    # rooms ("m": 1) was the clicker's own, so the link takes its place.
    mine = request.value.get("m") == 1
    try:
        link = await links.issue(deps, request.who, rooms.by_value(deps.rooms, *named), url)
    except OMError as exc:
        says, outcome = problems.explain(exc)
        message = messages.error_message(says)
        return [Reply(url, messages.replacing(message) if mine else message, outcome)]
    message = messages.join_message(link.room, link.url, link.link_id, link.link_id)
    return [Reply(url, messages.replacing(message) if mine else message, "ok")]
