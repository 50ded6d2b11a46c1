"""The personal Join was opened: that link is spent, so the message takes a fresh one in its place."""

from __future__ import annotations

from om import OMError

from .. import access, links, messages, problems, rooms
from ..deps import Deps
from ..messages import Reply
from ..payloads import ActionRequest

ACTION_ID = messages.LINK_ACTION


async def answer(request: ActionRequest, deps: Deps) -> list[Reply]:
    url = request.response_url
    if (refused := await access.click_refusal(deps, request, replace=True)) is not None:
        return refused
    link_id = request.value.get("l")
    if isinstance(link_id, str) and link_id:
        await links.spent(deps, request.who, link_id)
    named = rooms.from_value(request.value)
    if named is None:
        return []
    if deps.signer is None:
        # The Join button opened OM straight away (its hash was minted ahead): the room is one the person joined.
        await deps.recent.add(request.who.external_id, rooms.RoomRef(named[0], "", named[1]))
    try:
        link = await links.issue(deps, request.who, rooms.by_value(deps.rooms, *named), url)
    except OMError as exc:
        says, outcome = problems.explain(exc)
        return [Reply(url, messages.replacing(messages.error_message(says)), outcome)]
    message = messages.join_message(link.room, link.url, link.link_id, link.link_id)
    return [Reply(url, messages.replacing(message), "ok")]
