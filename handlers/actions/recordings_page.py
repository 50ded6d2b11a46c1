"""Next / Previous under ``/meet recordings``: the same list, showing another page (with fresh Watch links)."""

from __future__ import annotations

from om import OMError

from .. import access, messages, problems, recordings, rooms
from ..deps import Deps
from ..listener import Reply
from ..payloads import ActionRequest

ACTION_ID = messages.RECORDINGS_PAGE_ACTION


async def answer(request: ActionRequest, deps: Deps) -> list[Reply]:
    url = request.response_url
    refusal = await access.admit(deps, request.who, counts=False, guests=True)
    if refusal is not None:
        return [Reply(url, refusal.message, refusal.outcome)]
    named = rooms.from_value(request.value)
    if named is None:
        return []
    channel = request.value.get("c") if isinstance(request.value.get("c"), str) else ""
    if not recordings.may_watch(str(channel), request.conversation.channel_id):
        return [Reply(url, messages.error_message(messages.RECORDING_ELSEWHERE), "refused")]
    number = request.value.get("p")
    number = number if isinstance(number, int) and not isinstance(number, bool) else 0
    try:
        room = await rooms.by_value(deps.rooms, *named)
        listing = await recordings.listing(deps, request.who, room, str(channel), number)
    except OMError as exc:
        says, outcome = problems.explain(exc)
        return [Reply(url, messages.replacing(messages.error_message(says)), outcome)]
    return [Reply(url, messages.replacing(messages.recordings_message(listing)), "ok")]
