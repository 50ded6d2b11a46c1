"""``/meet recordings [room]``: the room's recordings, newest first, each with a Watch of the person's own.

OM checks nothing when a recording is opened through a hash, so the bot decides who may watch: the recordings of
a public room, anyone who may use /meet; those of a conversation's own room, only from inside that conversation
(the bare ``/meet recordings`` there). Watch opens OM's player through a hash with ``recordingId``, minted at the
click like a room's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from om import Recording

from .deps import Deps
from .links import identity_of
from .payloads import ActionRequest, Requester
from .rooms import RoomRef

PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class Listing:
    room: RoomRef
    # The conversation the list may be watched from ("" for a public room: from anywhere).
    channel: str
    shown: list[Recording]
    page: int
    pages: int
    # Per shown recording: a link minted at the click (with PUBLIC_URL) and its id, else None.
    links: list[tuple[str, str] | None]


async def is_public(deps: Deps, room_id: int) -> bool:
    return any(room.id == room_id for room in await deps.rooms.public_rooms())


async def listing(deps: Deps, who: Requester, room: RoomRef, channel: str, page: int) -> Listing:
    """One page of the room's recordings (raises OMError)."""
    room_id = room.room_id
    found = await deps.pool.with_admin(lambda sid: deps.pool.client.room_recordings(sid, room_id))
    shown_ones = sorted(
        (r for r in found if r.processed or r.processing or r.failed),
        key=lambda r: (r.start is not None, r.start.timestamp() if r.start else 0.0, r.id),
        reverse=True,
    )
    pages = max(1, math.ceil(len(shown_ones) / PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = shown_ones[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return Listing(room, channel, shown, page, pages, await _links(deps, who, room, shown))


async def _links(deps: Deps, who: Requester, room: RoomRef, shown: Sequence[Recording]) -> list[tuple[str, str] | None]:
    signer = deps.signer
    if signer is None:
        return [None] * len(shown)
    moderator = identity_of(deps.settings, who, await deps.slack.user_info(who.user_id)).moderator
    links: list[tuple[str, str] | None] = []
    for recording in shown:
        if not recording.processed:
            links.append(None)
            continue
        token, claim = signer.sign(
            who, room.room_id, room.external_id, moderator, recording.id, epoch=deps.spent.epoch
        )
        links.append((f"{deps.settings.public_url}/join/{token}", claim.nonce))
    return links


def listed_in(request: ActionRequest) -> str | None:
    """The conversation a recordings list was shown for ("" for a public room), or None when the click comes from
    another conversation: a conversation room's recordings are watched from that conversation only."""
    channel = request.value.get("c")
    channel = channel if isinstance(channel, str) else ""
    return channel if not channel or channel == request.conversation.channel_id else None

