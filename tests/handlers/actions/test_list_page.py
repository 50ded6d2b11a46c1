"""Next / Previous: the list message replaced by another page."""

from __future__ import annotations

from handlers import messages
from handlers.actions import list_page
from tests.handlers.conftest import MakeDeps, click
from tests.simulators.om import OMSimulator, Room


async def test_the_second_page(make_deps: MakeDeps, om: OMSimulator) -> None:
    for number in range(30):
        om.add_room(Room(200 + number, f"Extra {number:02d}"))
    [reply] = await list_page.answer(click(messages.PAGE_ACTION, {"p": 1}), make_deps().deps)
    assert reply.outcome == "ok" and reply.message["replace_original"] is True
    assert "page 2 of 2" in reply.message["blocks"][0]["text"]["text"]


async def test_om_down_replaces_the_list_with_the_reason(make_deps: MakeDeps, om: OMSimulator) -> None:
    harness = make_deps()
    await om.stop()
    [reply] = await list_page.answer(click(messages.PAGE_ACTION, {"p": 0}), harness.deps)
    assert reply.outcome == "unreachable" and reply.message["replace_original"] is True
