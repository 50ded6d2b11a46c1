"""The personal Join was opened: the link is forgotten by the pool and the message gets a fresh one."""

from __future__ import annotations

import json

from handlers import messages
from handlers.actions import join_link
from handlers.commands import meet
from tests.handlers.conftest import MakeDeps, click, command
from tests.simulators.om import OMSimulator


async def test_the_clicked_link_is_spent_and_replaced(make_deps: MakeDeps, om: OMSimulator) -> None:
    harness = make_deps()
    [first] = await meet.answer(command("room-5"), harness.deps)
    button = first.message["blocks"][1]["elements"][0]
    assert harness.deps.pool.status().links == 1
    [reply] = await join_link.answer(click(messages.LINK_ACTION, json.loads(button["value"])), harness.deps)
    assert reply.outcome == "ok" and reply.message["replace_original"] is True
    fresh = reply.message["blocks"][1]["elements"][0]["url"]
    assert fresh != button["url"]
    assert harness.deps.pool.status().links == 1  # the first is forgotten, the fresh one kept
    joined = await om.open_join_url(fresh)
    assert joined is not None and joined.room_id == 5


async def test_a_value_naming_no_room_gets_no_reply(make_deps: MakeDeps) -> None:
    assert await join_link.answer(click(messages.LINK_ACTION, {"r": "five"}), make_deps().deps) == []
