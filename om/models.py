"""Typed request and response models with the spec's wire names.

OM parses ``user`` and ``options`` of ``/user/hash`` as flat JSON strings
(``ExternalUserDTO.fromString``, ``RoomOptionsDTO.fromString``), so the request
models render to compact JSON. Responses go through Jettison, which collapses
one-element nested lists into scalars and turns digit-only strings into
numbers; the parsers here undo that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ExternalUser:
    """``ExternalUserDTO``: who opens a hash. externalId/externalType are required by OM."""

    external_id: str
    external_type: str
    firstname: str = ""
    lastname: str = ""
    login: str = ""
    email: str = ""
    profile_picture_url: str = ""

    def to_wire(self) -> str:
        body: dict[str, str] = {
            "externalId": self.external_id,
            "externalType": self.external_type,
            "firstname": self.firstname,
            "lastname": self.lastname,
            "login": self.login,
        }
        # OM stores an empty email or picture as-is; leaving them out keeps OM's own defaults.
        if self.email:
            body["email"] = self.email
        if self.profile_picture_url:
            body["profilePictureUrl"] = self.profile_picture_url
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class RoomOptions:
    """``RoomOptionsDTO``. ``allowSameURLMultipleTimes`` is never sent: ``UserWebService.getRoomHash`` would then
    mark the SID permanent, never cleaned up, and the link reusable by anyone who has it."""

    room_id: int | None = None
    external_room_id: str = ""
    external_type: str = ""
    moderator: bool = False

    def to_wire(self) -> str:
        body: dict[str, Any] = {"moderator": self.moderator}
        if self.room_id is not None:
            body["roomId"] = self.room_id
        if self.external_room_id and self.external_type:
            body["externalRoomId"] = self.external_room_id
            body["externalType"] = self.external_type
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Room:
    """The part of ``RoomDTO`` the bot reads: its id and its name."""

    id: int
    name: str

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Room:
        return cls(id=int(data["id"]), name=str(data.get("name") or ""))


@dataclass(frozen=True, slots=True)
class RoomDefinition:
    """The ``RoomDTO`` sent to create a room; ``type`` is the path's, so it can't disagree."""

    name: str
    comment: str = ""
    capacity: int = 50
    is_public: bool = False

    def to_wire(self, room_type: str) -> str:
        body = {
            "name": self.name,
            "comment": self.comment,
            "type": room_type,
            "capacity": self.capacity,
            "isPublic": self.is_public,
            "appointment": False,
            "moderated": False,
            "allowUserQuestions": True,
            "allowRecording": True,
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class ServerInfo:
    version: str
    revision: str = ""

    @property
    def major(self) -> int:
        head = self.version.split(".", 1)[0]
        digits = "".join(ch for ch in head if ch.isdigit())
        return int(digits) if digits else 0


@dataclass(frozen=True, slots=True)
class Health:
    inited: bool
    installed: bool
    db_ok: bool

    @property
    def ok(self) -> bool:
        return self.inited and self.installed and self.db_ok


def as_list(value: Any) -> list[Any]:
    """Jettison writes a one-element nested list as a scalar and drops empty ones."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]
