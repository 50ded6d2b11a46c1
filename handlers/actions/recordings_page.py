"""Next / Previous under ``/meet recordings``: the same list, showing another page (with fresh Watch links)."""

from __future__ import annotations

from om import OMError

from .. import access, messages, problems, recordings, rooms
from ..deps import Deps
from ..messages import Reply
from ..payloads import ActionRequest

ACTION_ID = messages.RECORDINGS_PAGE_ACTION


async def answer(request: ActionRequest, deps: Deps) -> list[Reply]:
    url = request.response_url
    if (refused := await access.click_refusal(deps, request)) is not None:
        return refused
    named = rooms.from_value(request.value)
    if named is None:
        return []
    channel = recordings.listed_in(request)
    if channel is None:
        return [Reply(url, messages.error_message(messages.RECORDING_ELSEWHERE), "refused")]
    number = request.value.get("p")
    number = number if isinstance(number, int) and not isinstance(number, bool) else 0
    try:
        room = await rooms.by_value(deps.rooms, *named)
        listing = await recordings.listing(deps, request.who, room, channel, number)
    except OMError as exc:
        says, outcome = problems.explain(exc)
        return [Reply(url, messages.replacing(messages.error_message(says)), outcome)]
    return [Reply(url, messages.replacing(messages.recordings_message(listing)), "ok")]
