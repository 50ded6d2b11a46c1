"""Share in channel: through the command's own response_url while it lives, else through the click's."""

from __future__ import annotations

import json

from handlers import messages
from handlers.actions import share_room
from handlers.commands import meet
from tests.handlers.conftest import RESPONSE_URL, MakeDeps, click, command


async def test_the_invitation_goes_through_the_commands_response_url(make_deps: MakeDeps) -> None:
    harness = make_deps()
    [first] = await meet.answer(command("room-5"), harness.deps)
    share = first.message["blocks"][1]["elements"][1]
    request = click(messages.SHARE_ACTION, json.loads(share["value"]))
    request = type(request)(request.who, request.action_id, request.value, request.conversation, "https://click")
    [reply] = await share_room.answer(request, harness.deps)
    assert reply.response_url == RESPONSE_URL and reply.outcome == "ok"
    assert reply.message["response_type"] == "in_channel"
    assert "url" not in json.dumps(reply.message["blocks"][1])


async def test_an_unknown_share_falls_back_to_the_clicks_url(make_deps: MakeDeps) -> None:
    [reply] = await share_room.answer(click(messages.SHARE_ACTION, {"r": 5, "s": "gone"}), make_deps().deps)
    assert reply.response_url == RESPONSE_URL and reply.outcome == "ok"
