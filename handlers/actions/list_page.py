"""Next / Previous under ``/meet list``: the same message, showing another page."""

from __future__ import annotations

from om import OMError

from .. import access, messages, problems, rooms
from ..deps import Deps
from ..messages import Reply
from ..payloads import ActionRequest

ACTION_ID = messages.PAGE_ACTION


async def answer(request: ActionRequest, deps: Deps) -> list[Reply]:
    url = request.response_url
    if (refused := await access.click_refusal(deps, request)) is not None:
        return refused
    number = request.value.get("p")
    number = number if isinstance(number, int) and not isinstance(number, bool) else 0
    try:
        listed, counts = await rooms.page(deps.rooms, number)
    except OMError as exc:
        says, outcome = problems.explain(exc)
        return [Reply(url, messages.replacing(messages.error_message(says)), outcome)]
    return [Reply(url, messages.replacing(messages.list_message(listed, counts, number)), "ok")]
