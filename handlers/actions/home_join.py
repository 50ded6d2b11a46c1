"""Join beside a room on the Home tab: the person comes in as themselves in both modes.

With PUBLIC_URL the button itself opened a link minted for the person, so the click republishes the tab with fresh
links. Without it, the click mints the person's own link and shows it in a modal (a Home tab has no response_url).
"""

from __future__ import annotations

from om import OMError

from .. import access, home, links, messages, problems, rooms
from ..deps import Deps
from ..home_view import link_modal, waiting_modal
from ..payloads import ActionRequest

ACTION_ID = messages.HOME_JOIN_ACTION


async def answer(request: ActionRequest, deps: Deps) -> str:
    who = request.who
    named = rooms.from_value(request.value)
    if named is None:
        return "invalid"
    if deps.signer is not None:
        # The browser is on its way with the link (which records the room as recent once it opens).
        return await home.publish(deps, who)
    # Slack honours a trigger_id for 3 s only, and a login on an empty pool can take longer: the modal opens now and
    # shows the link once it is minted.
    view_id = await deps.slack.open_modal(request.trigger_id, waiting_modal())
    if not view_id:
        return "unexpected"
    refusal = await access.admit(deps, who, counts=False, guests=True)
    if refusal is not None:
        await deps.slack.update_modal(view_id, _problem_modal(str(refusal.message.get("text", ""))))
        return refusal.outcome
    try:
        link = await links.issue(deps, who, rooms.by_value(deps.rooms, *named), "")
    except OMError as exc:
        says, outcome = problems.explain(exc)
        await deps.slack.update_modal(view_id, _problem_modal(says))
        return outcome
    shown = await deps.slack.update_modal(view_id, link_modal(link.room, link.url))
    return "ok" if shown else "unexpected"


def _problem_modal(text: str) -> messages.Message:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Join OpenMeetings"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [messages.error_message(text)["blocks"][0]],
    }
