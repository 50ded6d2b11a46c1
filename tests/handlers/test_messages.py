"""Block Kit builders stay inside Slack's limits and never leak the link into fallback text."""

from __future__ import annotations

import json

from handlers import messages as blocks
from handlers.rooms import RoomRef as Target


def test_join_message_shape_and_limits() -> None:
    url = "https://om.example.org/openmeetings/hash?secure=abc&language=2"
    message = blocks.join_message(Target(5, "A" * 300), url, "LINKID", "SHAREID")
    assert message["response_type"] == "ephemeral"
    join, share = message["blocks"][1]["elements"]
    assert join["url"] == url and join["style"] == "primary"
    assert len(join["text"]["text"]) <= 75
    assert json.loads(join["value"]) == {"r": 5, "l": "LINKID"}
    assert json.loads(share["value"]) == {"r": 5, "s": "SHAREID"} and "url" not in share
    assert "secure=" not in message["text"]
    assert all(len(json.dumps(b)) < 3000 for b in message["blocks"])


def test_conversation_rooms_carry_their_external_key() -> None:
    message = blocks.join_message(Target(9, "#general", "T1:C1"), "https://x/hash?secure=a", "L", "S")
    assert json.loads(message["blocks"][1]["elements"][0]["value"]) == {"r": 9, "x": "T1:C1", "l": "L"}


def test_names_are_escaped() -> None:
    message = blocks.join_message(Target(1, "<!here> & co"), "https://x/hash?secure=a", "L", "S")
    assert "&lt;!here&gt; &amp; co" in message["blocks"][0]["text"]["text"]


def test_invitation_is_in_channel_and_carries_no_link() -> None:
    message = blocks.invite_message("U1", Target(5, "Standup"))
    assert message["response_type"] == "in_channel" and message["replace_original"] is False
    assert "<@U1>" in message["blocks"][0]["text"]["text"]
    button = message["blocks"][1]["elements"][0]
    assert "url" not in button and button["action_id"] == blocks.PICK_ACTION


def test_list_of_200_rooms_is_paged_within_slack_limits() -> None:
    rooms = [Target(i, f"Room number {i} " + "x" * 200) for i in range(1, 201)]
    counts = {i: i % 7 for i in range(1, 201)}
    seen: set[int] = set()
    for page in range(10):
        message = blocks.list_message(rooms, counts, page)
        assert len(message["blocks"]) <= 50
        assert len(json.dumps(message)) < 40_000
        for block in message["blocks"]:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= 3000
                if "accessory" in block:
                    seen.add(json.loads(block["accessory"]["value"])["r"])
    assert seen == set(range(1, 201))
    assert "page 10 of 10" in blocks.list_message(rooms, counts, 99)["blocks"][0]["text"]["text"]


def test_replacing_keeps_the_message() -> None:
    base = blocks.error_message("x")
    assert blocks.replacing(base) == {**base, "replace_original": True}
