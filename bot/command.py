"""Parses what people type after ``/meet``. Pure: text in, a command out."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# OM room ids are Java longs; 18 digits keeps every accepted id inside that range.
_ROOM = re.compile(r"(?:room[-_ ]?|#)?(\d{1,18})", re.IGNORECASE)
_HELP = frozenset({"help", "-h", "--help", "?", "usage"})
QUOTE_LIMIT = 80


@dataclass(frozen=True, slots=True)
class JoinRoom:
    room_id: int


@dataclass(frozen=True, slots=True)
class DefaultRoom:
    """``/meet`` alone."""


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class Unparsed:
    text: str


Command = JoinRoom | DefaultRoom | ShowHelp | Unparsed


def parse_room_ref(text: str) -> int | None:
    """``5``, ``room-5``, ``Room 5``, ``#5`` -> 5; anything else -> None."""
    match = _ROOM.fullmatch(text.strip())
    if match is None:
        return None
    room_id = int(match.group(1))
    return room_id if room_id > 0 else None


def parse(text: str | None) -> Command:
    cleaned = " ".join(html.unescape(text or "").split())
    if not cleaned:
        return DefaultRoom()
    if cleaned.lower() in _HELP:
        return ShowHelp()
    room_id = parse_room_ref(cleaned)
    if room_id is not None:
        return JoinRoom(room_id)
    return Unparsed(text or "")


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """What was typed, shown back verbatim but inert: no mention, link or formatting fires."""
    raw = html.unescape(text)
    visible = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in raw)
    visible = " ".join(visible.split()).replace("`", "'")
    if len(visible) > limit:
        visible = visible[: limit - 1] + "…"
    escaped = visible.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"`{escaped}`" if escaped else "(nothing)"
