"""The /meet text parser and the quoting of what people typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.command import DefaultRoom, JoinRoom, ShowHelp, Unparsed, parse, parse_room_ref, quote


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("room-5", JoinRoom(5)),
        ("5", JoinRoom(5)),
        ("  Room 12 ", JoinRoom(12)),
        ("ROOM_7", JoinRoom(7)),
        ("#3", JoinRoom(3)),
        ("", DefaultRoom()),
        ("   ", DefaultRoom()),
        (None, DefaultRoom()),
        ("help", ShowHelp()),
        ("Help", ShowHelp()),
        ("room-0", Unparsed("room-0")),
        ("room--5", Unparsed("room--5")),
        ("5 6", Unparsed("5 6")),
        ("-5", Unparsed("-5")),
        ("1" * 19, Unparsed("1" * 19)),
        ("rooom 5", Unparsed("rooom 5")),
    ],
)
def test_parse(text: str | None, expected: object) -> None:
    assert parse(text) == expected


def test_room_ids_stay_inside_a_java_long() -> None:
    assert parse_room_ref("9" * 18) == int("9" * 18)
    assert parse_room_ref("9" * 19) is None


@given(st.text(max_size=4000))
def test_any_text_parses_to_a_command_without_error(text: str) -> None:
    command = parse(text)
    assert isinstance(command, JoinRoom | DefaultRoom | ShowHelp | Unparsed)
    if isinstance(command, JoinRoom):
        assert 0 < command.room_id < 2**63


@given(st.text(max_size=4000))
def test_quote_is_bounded_and_inert(text: str) -> None:
    quoted = quote(text)
    assert len(quoted) <= 80 * 5 + 2  # each kept char escapes to at most "&amp;"
    assert "<" not in quoted and ">" not in quoted
    assert quoted.count("`") == 2 or quoted == "(nothing)"
    assert not any(ch in quoted for ch in "\n\r\t\x00\u202e")


def test_quote_shows_slack_escapes_as_typed() -> None:
    assert quote("&lt;!channel&gt;") == "`&lt;!channel&gt;`"
    assert quote("<@U123|bob>") == "`&lt;@U123|bob&gt;`"
