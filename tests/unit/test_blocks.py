"""Block Kit builders stay inside Slack's limits and never leak the link into fallback text."""

from __future__ import annotations

import json

from bot import blocks


def test_join_message_shape_and_limits() -> None:
    url = "https://om.example.org/openmeetings/hash?secure=abc&language=2"
    message = blocks.join_message(5, "A" * 300, url, "LINKID")
    assert message["response_type"] == "ephemeral"
    button = message["blocks"][1]["elements"][0]
    assert button["url"] == url and button["style"] == "primary"
    assert len(button["text"]["text"]) <= 75
    assert json.loads(button["value"]) == {"r": 5, "l": "LINKID"}
    assert "secure=" not in message["text"]
    assert all(len(json.dumps(b)) < 3000 for b in message["blocks"])


def test_names_are_escaped() -> None:
    message = blocks.join_message(1, "<!here> & co", "https://x/hash?secure=a", "L")
    assert "&lt;!here&gt; &amp; co" in message["blocks"][0]["text"]["text"]


def test_replacing_keeps_the_message() -> None:
    base = blocks.error_message("x")
    assert blocks.replacing(base) == {**base, "replace_original": True}
