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
_RECORDINGS = frozenset({"recordings", "recording", "recs"})
# A mention as Slack escapes it (the manifest's should_escape: true): <@U0123> or <@U0123|alice>.
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^<>]{0,100})?>")
# "@alice" typed without picking the person from Slack's autocomplete: no mention, just text.
_PLAIN_MENTION = re.compile(r"@[\w.\-]{1,80}")
# OM room names are at most 255 characters; a search longer than this is no name.
NAME_LIMIT = 100
QUOTE_LIMIT = 80


@dataclass(frozen=True, slots=True)
class JoinRoom:
    room_id: int
    share: bool = False
    # Slack user ids of the people mentioned, to invite by direct message (in order, each once).
    invite: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FindRoom:
    """A room by (part of) its name."""

    name: str
    share: bool = False
    invite: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DefaultRoom:
    """``/meet`` alone: the default room, or the conversation's own room."""

    share: bool = False
    invite: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Recordings:
    """``/meet recordings [room]``: a room by id, by name, or (neither) the conversation's own."""

    room_id: int | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class PlainMention:
    """Someone typed ``@alice`` as text: Slack did not make it a mention, so it names nobody."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ListRooms:
    pass


@dataclass(frozen=True, slots=True)
class ShowHelp:
    pass


@dataclass(frozen=True, slots=True)
class Unparsed:
    text: str


Command = JoinRoom | FindRoom | DefaultRoom | Recordings | ListRooms | ShowHelp | PlainMention | Unparsed


def parse_room_ref(text: str) -> int | None:
    """``5``, ``room-5``, ``Room 5``, ``#5`` -> 5; anything else -> None."""
    match = _ROOM.fullmatch(text.strip())
    if match is None:
        return None
    room_id = int(match.group(1))
    return room_id if room_id > 0 else None


def parse(text: str | None) -> Command:
    raw = text or ""
    invite = tuple(dict.fromkeys(_MENTION.findall(raw)))
    cleaned = " ".join(html.unescape(_MENTION.sub(" ", raw)).split())
    lowered = cleaned.lower()
    if not cleaned:
        return DefaultRoom(invite=invite)
    if lowered in _HELP:
        return ShowHelp()
    if lowered in _LIST:
        return ListRooms()
    words = cleaned.split(" ")
    if words[0].lower() in _RECORDINGS:
        return _recordings(" ".join(words[1:]), raw)
    plain = tuple(word for word in words if _PLAIN_MENTION.fullmatch(word))
    if plain:
        return PlainMention(plain)
    share = False
    if len(words) > 1 and words[-1].lower() == _SHARE:
        share, cleaned = True, " ".join(words[:-1])
    elif lowered == _SHARE:
        return DefaultRoom(share=True, invite=invite)
    room_id = parse_room_ref(cleaned)
    if room_id is not None:
        return JoinRoom(room_id, share, invite)
    if len(cleaned) > NAME_LIMIT or not any(ch.isalnum() for ch in cleaned):
        return Unparsed(raw)
    return FindRoom(cleaned, share, invite)


def _recordings(rest: str, raw: str) -> Command:
    if not rest:
        return Recordings()
    room_id = parse_room_ref(rest)
    if room_id is not None:
        return Recordings(room_id=room_id)
    if len(rest) > NAME_LIMIT or not any(ch.isalnum() for ch in rest):
        return Unparsed(raw)
    return Recordings(name=rest)


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """What was typed, shown back verbatim but inert: no mention, link or formatting fires."""
    raw = html.unescape(text)
    visible = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in raw)
    visible = " ".join(visible.split()).replace("`", "'")
    if len(visible) > limit:
        visible = visible[: limit - 1] + "…"
    escaped = visible.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"`{escaped}`" if escaped else "(nothing)"
