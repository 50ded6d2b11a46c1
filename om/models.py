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
from datetime import UTC, datetime
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
    # The hash opens OM's recording player for this recording instead of a room (HashPage.java); no room is needed.
    recording_id: int | None = None

    def to_wire(self) -> str:
        body: dict[str, Any] = {"moderator": self.moderator}
        if self.room_id is not None:
            body["roomId"] = self.room_id
        if self.recording_id is not None:
            body["recordingId"] = self.recording_id
        if self.external_room_id and self.external_type:
            body["externalRoomId"] = self.external_room_id
            body["externalType"] = self.external_type
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Room:
    """The part of ``RoomDTO`` the bot reads: its id, its name, and for a room OM keeps for another system (a Slack
    conversation, another integration's course) that system's key: ``externalType`` is the name of the room's
    external group and ``externalId`` the key within it (``RoomDTO.java``); both absent for other rooms."""

    id: int
    name: str
    external_type: str = ""
    external_id: str = ""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Room:
        return cls(
            id=int(data["id"]),
            name=str(data.get("name") or ""),
            external_type=str(data.get("externalType") or ""),
            external_id=str(data.get("externalId") or ""),
        )


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


# Recording.Status (Recording.java). RECORDING: the room is still being recorded (KRoom.startRecording);
# CONVERTING: recorded, the video is being made; PROCESSED: the video is there (BaseConverter); ERROR: conversion
# failed, or OM restarted mid-way (RecordingDao.resetProcessingStatus); NONE: the default, which folders keep.
_PROCESSING = frozenset({"RECORDING", "CONVERTING"})  # shown as "processing" by OM's own file tree (FolderPanel)


@dataclass(frozen=True, slots=True)
class Recording:
    """The part of ``RecordingDTO`` the bot reads. ``start``/``end`` are aware datetimes, None when OM sent none."""

    id: int
    name: str
    room_id: int | None = None
    status: str = "NONE"
    start: datetime | None = None
    end: datetime | None = None
    owner_id: int | None = None

    @property
    def processed(self) -> bool:
        """The video is made: only now does OM's player have something to play."""
        return self.status == "PROCESSED"

    @property
    def processing(self) -> bool:
        """Still being recorded or converted: it may become playable later."""
        return self.status in _PROCESSING

    @property
    def failed(self) -> bool:
        return self.status == "ERROR"

    @property
    def length(self) -> float | None:
        """Seconds from start to end, when both are known (a recording under way has no end yet)."""
        if self.start is None or self.end is None or self.end < self.start:
            return None
        return (self.end - self.start).total_seconds()

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Recording:
        return cls(
            id=int(data["id"]),
            name=_text(data.get("name")),  # Jettison turns a digit-only name into a number
            room_id=_opt_int(data.get("roomId")),
            status=str(data.get("status") or "NONE").upper(),
            start=parse_om_datetime(data.get("start")),
            end=parse_om_datetime(data.get("end")),
            owner_id=_opt_int(data.get("ownerId")),
        )


def parse_om_datetime(value: Any) -> datetime | None:
    """A date as OM's JSON carries it, as an aware datetime; None for a missing or unreadable one.

    ``RecordingDTO``'s Date fields have no adapter, so JAXB writes xs:dateTime in the server's zone:
    ``2021-09-19T10:43:39+12:00``, ``...39.250Z`` (milliseconds only when not zero, ``Z`` for UTC). The entities'
    ``DateAdapter`` writes epoch milliseconds instead, which Jettison turns into a number; both are read.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_millis(value)
    text = str(value).strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return _from_millis(int(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    # xs:dateTime may leave the zone out; OM always writes one, so this is only a guess for a foreign writer.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _from_millis(value: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _opt_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
