"""A personal join link: the person as an OM user, and either a hash on a SID of its own (minted ahead) or, with
``PUBLIC_URL``, a signed token on the bot's own URL that mints the hash when it is opened."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from om import ExternalUser, RoomOptions, join_url

from . import people
from .deps import Deps, Settings
from .payloads import Requester
from .rooms import RoomRef

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JoinLink:
    room: RoomRef
    url: str
    # Names the link to the pool (and the Share button to its response_url) without revealing the hash.
    link_id: str


async def issue(deps: Deps, who: Requester, room: Awaitable[RoomRef], response_url: str) -> JoinLink:
    """Mints a link to ``room`` for ``who`` alone; raises OMError. The room and the person's ``users.info`` are
    looked up side by side (both are cached, so usually neither costs a round trip)."""
    settings = deps.settings
    if deps.signer is not None:
        identity, target = await _resolve(deps, who, room)
        token, claim = deps.signer.sign(
            who, target.room_id, target.external_id, identity.moderator, epoch=deps.spent.epoch
        )
        await deps.shares.add(claim.nonce, response_url)
        return JoinLink(target, f"{settings.public_url}/join/{token}", claim.nonce)
    resolving = asyncio.ensure_future(_resolve(deps, who, room))

    async def ready() -> tuple[ExternalUser, RoomOptions]:
        identity, target = await resolving
        return identity.user, room_options(settings, target, identity.moderator)

    # The pool takes the SID (or starts the login it will wait for) while the person and the room are looked up.
    issued = await deps.pool.issue_hash_when(ready())
    identity, target = resolving.result()
    await deps.shares.add(issued.link_id, response_url)
    log.info("meet: link issued room=%s moderator=%s", target.room_id, identity.moderator)
    return JoinLink(target, join_url(settings.openmeetings_url, issued.hash, identity.language), issued.link_id)


async def _resolve(deps: Deps, who: Requester, room: Awaitable[RoomRef]) -> tuple[people.Identity, RoomRef]:
    info, target = await asyncio.gather(deps.slack.user_info(who.user_id), room)
    return identity_of(deps.settings, who, info), target


def room_options(settings: Settings, room: RoomRef, moderator: bool, recording_id: int | None = None) -> RoomOptions:
    """The hash's options; with ``recording_id`` OM's HashPage shows that recording's player instead of the room."""
    return RoomOptions(
        room_id=room.room_id,
        external_room_id=room.external_id,
        external_type=settings.external_type if room.external_id else "",
        moderator=moderator,
        recording_id=recording_id,
    )


def identity_of(settings: Settings, who: Requester, info: Mapping[str, Any] | None) -> people.Identity:
    return people.resolve(
        who,
        info,
        external_type=settings.external_type,
        moderators=settings.moderators,
        admins_are_moderators=settings.admins_are_moderators,
        default_language=settings.language,
    )


async def spent(deps: Deps, who: Requester, link_id: str) -> None:
    """The link was opened: its SID is the person's now, so the pool stops keeping it alive."""
    await deps.pool.forget_link(link_id, who.external_id)
