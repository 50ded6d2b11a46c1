"""Parses what people type after ``/meet``. Pure: text in, a command out."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# OM room ids are Java longs; 18 digits keeps every accepted id inside that range.
_ROOM = re.compile(r"(?:room[-_ ]?|#)?(\d{1,18})", re.IGNORECASE)
_HELP = frozenset({"help", "-h", "--help", "?", "usage"})
_LIST = frozenset({"list", "ls", "rooms"})
_SHARE = "share"
# OM room names are at most 255 characters; a search longer than this is no name.
NAME_LIMIT = 100
QUOTE_LIMIT = 80


@dataclass(frozen=True, slots=True)
class JoinRoom:
    room_id: int
    share: bool = False


@dataclass(frozen=True, slots=True)
class FindRoom:
    """A room by (part of) its name."""

    name: str
    share: bool = False


@dataclass(frozen=True, slots=True)
class DefaultRoom:
    """``/meet`` alone: the default room, or the conversation's own room."""

    share: bool = False


@dataclass(frozen=True, slots=True)
class ListRooms:
    pass


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class Unparsed:
    text: str


Command = JoinRoom | FindRoom | DefaultRoom | ListRooms | ShowHelp | Unparsed


def parse_room_ref(text: str) -> int | None:
    """``5``, ``room-5``, ``Room 5``, ``#5`` -> 5; anything else -> None."""
    match = _ROOM.fullmatch(text.strip())
    if match is None:
        return None
    room_id = int(match.group(1))
    return room_id if room_id > 0 else None


def parse(text: str | None) -> Command:
    cleaned = " ".join(html.unescape(text or "").split())
    lowered = cleaned.lower()
    if not cleaned:
        return DefaultRoom()
    if lowered in _HELP:
        return ShowHelp()
    if lowered in _LIST:
        return ListRooms()
    share = False
    words = cleaned.split(" ")
    if len(words) > 1 and words[-1].lower() == _SHARE:
        share, cleaned = True, " ".join(words[:-1])
    elif lowered == _SHARE:
        return DefaultRoom(share=True)
    room_id = parse_room_ref(cleaned)
    if room_id is not None:
        return JoinRoom(room_id, share)
    if len(cleaned) > NAME_LIMIT or not any(ch.isalnum() for ch in cleaned):
        return Unparsed(text or "")
    return FindRoom(cleaned, share)


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """What was typed, shown back verbatim but inert: no mention, link or formatting fires."""
    raw = html.unescape(text)
    visible = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in raw)
    visible = " ".join(visible.split()).replace("`", "'")
    if len(visible) > limit:
        visible = visible[: limit - 1] + "…"
    escaped = visible.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"`{escaped}`" if escaped else "(nothing)"
