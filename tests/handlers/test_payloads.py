"""A Slack body is read once, into typed requests; whatever Slack (or anyone) sends, reading never fails."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from handlers.payloads import Conversation, Requester, read_action, read_command, summary


def test_a_slash_command() -> None:
    body = {"user_id": "U1", "team_id": "T1", "enterprise_id": "E1", "user_name": "ada", "text": "room-5",
            "channel_id": "C1", "channel_name": "general", "response_url": "https://r", "command": "/meet"}  # fmt: skip
    request = read_command(body)
    assert request.who == Requester("U1", "T1", "E1", "ada") and request.who.external_id == "E1:U1"
    assert (request.text, request.conversation, request.response_url) == ("room-5", Conversation("C1", "general"), "https://r")
    assert summary(body) == "command=/meet user=U1"


def test_a_click_prefers_the_persons_own_workspace() -> None:
    body = {"type": "block_actions", "user": {"id": "U1", "team_id": "T1", "username": "ada"},
            "team": {"id": "THOST"}, "channel": {"id": "C1", "name": "general"}, "response_url": "https://r",
            "actions": [{"action_id": "join_room", "value": json.dumps({"r": 5, "l": "x"})}]}  # fmt: skip
    request = read_action(body)
    assert request.who.team_id == "T1" and request.who.external_id == "T1:U1"
    assert request.value == {"r": 5, "l": "x"} and request.action_id == "join_room"
    assert "https://r" not in summary(body)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.sampled_from(["user", "team", "enterprise", "actions", "channel", "user_id", "text",
                                        "team_id", "response_url", "enterprise_id"]), _json))  # fmt: skip
def test_any_body_reads_without_failing(body: dict[str, Any]) -> None:
    for read in (read_command, read_action):
        request = read(body)
        assert isinstance(request.who.user_id, str) and isinstance(request.response_url, str)
