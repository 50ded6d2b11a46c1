"""``/meet``'s answer, called in-process: which reply, with which outcome, for each form of the command."""

from __future__ import annotations

import json

from handlers import messages
from handlers.commands import meet
from handlers.payloads import Requester
from tests.handlers.conftest import MakeDeps, command
from tests.simulators.om import OMSimulator


async def test_a_room_by_id_gets_a_join_button_that_opens_om_as_the_person(
    make_deps: MakeDeps, om: OMSimulator
) -> None:
    harness = make_deps()
    [reply] = await meet.answer(command("room-5"), harness.deps)
    assert reply.outcome == "ok"
    button = reply.message["blocks"][1]["elements"][0]
    assert button["action_id"] == messages.LINK_ACTION
    joined = await om.open_join_url(button["url"])
    assert joined is not None and joined.room_id == 5
    assert (joined.user.external_id, joined.user.firstname) == ("T0TEAM001:U0ALICE01", "Alice")


async def test_share_adds_the_channel_invitation(make_deps: MakeDeps) -> None:
    replies = await meet.answer(command("room-5 share"), make_deps().deps)
    assert [r.outcome for r in replies] == ["ok", "ok"]
    assert replies[1].message["response_type"] == "in_channel"
    assert "hash?secure=" not in json.dumps(replies[1].message)


async def test_help_and_gibberish_are_usage_and_cost_om_nothing(make_deps: MakeDeps, om: OMSimulator) -> None:
    harness = make_deps()
    before = len(om.requests)
    for text in ("help", "%%%"):
        [reply] = await meet.answer(command(text), harness.deps)
        assert reply.outcome == "usage"
    assert len(om.requests) == before


async def test_several_matches_are_a_choice_and_none_is_usage(make_deps: MakeDeps) -> None:
    harness = make_deps()
    [several] = await meet.answer(command("public room"), harness.deps)
    assert several.outcome == "ok" and "Several rooms match" in several.message["text"]
    [none] = await meet.answer(command("no such thing"), harness.deps)
    assert none.outcome == "usage" and "No room is named" in none.message["text"]


async def test_the_conversation_gets_its_own_room(make_deps: MakeDeps, om: OMSimulator) -> None:
    [reply] = await meet.answer(command("", channel="C0PROJECT", name="project"), make_deps().deps)
    assert reply.outcome == "ok"
    value = json.loads(reply.message["blocks"][1]["elements"][0]["value"])
    assert value["x"] == "T0TEAM001:C0PROJECT"
    room = next(r for r in om.rooms.values() if r.external_id == "T0TEAM001:C0PROJECT")
    assert room.name == "#project"


async def test_a_missing_room_is_room_not_found(make_deps: MakeDeps) -> None:
    [reply] = await meet.answer(command("room-999"), make_deps().deps)
    assert reply.outcome == "room_not_found"
    assert "Room 999 does not exist in OpenMeetings" in reply.message["text"]


async def test_om_down_is_unreachable(make_deps: MakeDeps, om: OMSimulator) -> None:
    harness = make_deps()
    await om.stop()
    [reply] = await meet.answer(command("room-5"), harness.deps)
    assert reply.outcome == "unreachable" and "not reachable" in reply.message["text"]


async def test_refusals_are_counted_as_refused(make_deps: MakeDeps) -> None:
    harness = make_deps(rate_limit=1)
    harness.slack.team = None  # auth.test failing: the workspace can't be checked
    [reply] = await meet.answer(command("room-5"), harness.deps)
    assert reply.outcome == "refused" and "can't check your workspace" in reply.message["text"]
    harness.slack.team = ("T0TEAM001", None)
    [outsider] = await meet.answer(command("room-5", who=Requester("U0X", "T0OTHER01")), harness.deps)
    assert outsider.outcome == "refused" and "only serves" in outsider.message["text"]
    await meet.answer(command("room-5"), harness.deps)
    [fast] = await meet.answer(command("room-5"), harness.deps)
    assert fast.outcome == "refused" and "going fast" in fast.message["text"]
