"""The /meet text parser and the quoting of what people typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.commands.meet_text import (
    DefaultRoom,
    FindRoom,
    JoinRoom,
    ListRooms,
    PlainMention,
    Recordings,
    ShowHelp,
    Unparsed,
    parse,
    parse_room_ref,
    quote,
)


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
        ("list", ListRooms()),
        ("LIST", ListRooms()),
        ("share", DefaultRoom(share=True)),
        ("room-5 share", JoinRoom(5, share=True)),
        ("Daily Standup SHARE", FindRoom("Daily Standup", share=True)),
        ("Équipe  Nord", FindRoom("Équipe Nord")),
        ("room-0", FindRoom("room-0")),
        ("-5", FindRoom("-5")),
        ("1" * 19, FindRoom("1" * 19)),
        ("rooom 5", FindRoom("rooom 5")),
        ("x" * 101, Unparsed("x" * 101)),
        ("!!! ???", Unparsed("!!! ???")),
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
    assert isinstance(
        command, JoinRoom | FindRoom | DefaultRoom | Recordings | ListRooms | ShowHelp | PlainMention | Unparsed
    )
    if isinstance(command, JoinRoom):
        assert 0 < command.room_id < 2**63
    if isinstance(command, FindRoom):
        assert 0 < len(command.name) <= 100 and command.name == command.name.strip()


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
