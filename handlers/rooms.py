"""Which room: by id, by name, the conversation's own, or the one a button names. Lookups go through OM's
cached ``RoomDirectory``, so a room seen once costs OM nothing the next time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from om import Room, RoomDefinition, RoomDirectory

from .payloads import Conversation, Requester, encode_value

LIST_PAGE_SIZE = 20
# Slack's names for conversations that have no name a person would recognise.
_PRIVATE_NAMES = frozenset({"directmessage", "privategroup", ""})


@dataclass(frozen=True, slots=True)
class RoomRef:
    """A room as the buttons carry it. Conversation rooms also carry the key OM keeps them by."""

    room_id: int
    name: str
    external_id: str = ""

    @property
    def title(self) -> str:
        return self.name.strip() or f"Room {self.room_id}"

    def value(self, **extra: Any) -> str:
        data: dict[str, Any] = {"r": self.room_id}
        if self.external_id:
            data["x"] = self.external_id
        data.update(extra)
        return encode_value(data)


def ref(room: Room) -> RoomRef:
    return RoomRef(room.id, room.name)


class KeptElsewhere(Exception):
    """The room typed by its number is one OM keeps for another conversation, or for another application."""

    def __init__(self, room: RoomRef) -> None:
        super().__init__(f"room {room.room_id} is kept for an external key")
        self.room = room


async def by_id(rooms: RoomDirectory, room_id: int) -> RoomRef:
    """OMNotFoundError for a room that does not exist."""
    return ref(await rooms.get(room_id))


async def by_number(
    rooms: RoomDirectory, room_id: int, external_type: str, who: Requester, conversation: Conversation
) -> RoomRef:
    """A room someone typed the number of. A conversation's room is entered from that conversation only (its
    members are who may be there), and a room another application keeps is that application's to open, so either
    raises KeptElsewhere, unless it is this conversation's own room. OMNotFoundError for a room that does not exist."""
    room = await rooms.get(room_id)
    if not room.external_type:
        return ref(room)
    here = conversation_key(who, conversation) if conversation.channel_id else None
    if room.external_type == external_type and room.external_id == here:
        return RoomRef(room.id, room.name, room.external_id)
    raise KeptElsewhere(ref(room))


def conversation_key(who: Requester, conversation: Conversation) -> str:
    """The key OM keeps a conversation's room by: keyed like people, across a Grid org."""
    return f"{who.org_id}:{conversation.channel_id}"


async def by_name(rooms: RoomDirectory, name: str) -> list[RoomRef]:
    return [ref(room) for room in await rooms.find(name)]


async def for_conversation(
    rooms: RoomDirectory, external_type: str, who: Requester, conversation: Conversation
) -> RoomRef:
    """The conversation's own room, created in OM on first use."""
    external_id = conversation_key(who, conversation)
    channel, name = conversation.channel_id, conversation.channel_name
    title = f"Slack conversation {channel}" if name in _PRIVATE_NAMES or name.startswith("mpdm-") else f"#{name}"
    definition = RoomDefinition(name=title, comment=f"Slack conversation {channel}")
    room = await rooms.external(external_type, external_id, definition)
    return RoomRef(room.id, room.name, external_id)


def from_value(value: Mapping[str, Any]) -> tuple[int, str] | None:
    """(room id, external key) from a button's value; None when it names no room."""
    room_id = value.get("r")
    if not isinstance(room_id, int) or isinstance(room_id, bool) or room_id <= 0:
        return None
    external_id = value.get("x")
    return room_id, external_id if isinstance(external_id, str) else ""


async def by_value(rooms: RoomDirectory, room_id: int, external_id: str, *, fresh: bool = False) -> RoomRef:
    room = await rooms.get(room_id, fresh=fresh)
    return RoomRef(room.id, room.name, external_id)


async def page(rooms: RoomDirectory, number: int) -> tuple[list[RoomRef], dict[int, int | None]]:
    """Every public room, and how many people are in each of those on page ``number``."""
    listed = [ref(room) for room in await rooms.public_rooms()]
    start = max(number, 0) * LIST_PAGE_SIZE
    shown = listed[start : start + LIST_PAGE_SIZE]
    return listed, await rooms.counts_by_id([r.room_id for r in shown])
