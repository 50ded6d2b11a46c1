"""Join in a list or an invitation: the clicker's own link, replacing the message only where it was theirs."""

from __future__ import annotations

from handlers import messages
from handlers.actions import pick_room
from handlers.payloads import Requester
from tests.handlers.conftest import MakeDeps, click
from tests.simulators.om import OMSimulator

BOB = Requester("U0BOB0001", "T0TEAM001", None, "bob")


async def test_an_invitation_click_answers_the_clicker_alone(make_deps: MakeDeps, om: OMSimulator) -> None:
    [reply] = await pick_room.answer(click(messages.PICK_ACTION, {"r": 3}, who=BOB), make_deps().deps)
    assert reply.outcome == "ok" and "replace_original" not in reply.message
    joined = await om.open_join_url(reply.message["blocks"][1]["elements"][0]["url"])
    assert joined is not None and joined.room_id == 3 and joined.user.external_id == "T0TEAM001:U0BOB0001"


async def test_a_choice_of_rooms_is_replaced_by_the_link(make_deps: MakeDeps) -> None:
    [reply] = await pick_room.answer(click(messages.PICK_ACTION, {"r": 3, "m": 1}), make_deps().deps)
    assert reply.message["replace_original"] is True


async def test_a_room_deleted_since_is_room_not_found(make_deps: MakeDeps) -> None:
    [reply] = await pick_room.answer(click(messages.PICK_ACTION, {"r": 404}), make_deps().deps)
    assert reply.outcome == "room_not_found"
