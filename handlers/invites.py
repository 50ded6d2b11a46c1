"""``/meet room-5 @alice @bob``: each person mentioned gets a direct message with a Join of their own.

The Join brings the invitee in as themselves: with PUBLIC_URL a link minted for them at the click; without it a
button that gets them a personal link when they click it (as in channel invitations). Never the inviter's link.
Every invitation counts against the inviter's rate limit, and the reasons a person can't be invited are told in
plain words.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import access, messages
from .deps import Deps
from .links import identity_of
from .payloads import Requester
from .rooms import RoomRef

LIMIT = 20
_AT_ONCE = 5


@dataclass(slots=True)
class Report:
    invited: list[str] = field(default_factory=list)
    # (user id, why not), in the order they were mentioned.
    refused: list[tuple[str, str]] = field(default_factory=list)


async def send(deps: Deps, inviter: Requester, room: RoomRef, user_ids: tuple[str, ...]) -> Report:
    report = Report()
    wanted = [user for user in dict.fromkeys(user_ids) if user != inviter.user_id]
    for user in wanted[LIMIT:]:
        report.refused.append((user, f"more than {LIMIT} people at once"))
    allowed = await access.allowed_teams(deps)
    slots = asyncio.Semaphore(_AT_ONCE)
    outcomes: dict[str, str] = {}

    async def one(user_id: str) -> None:
        wait = await deps.limiter.hit(inviter.external_id)
        if wait:
            outcomes[user_id] = "you're going fast: try again in a minute"
            return
        async with slots:
            outcomes[user_id] = await _invite(deps, inviter, room, user_id, allowed)

    await asyncio.gather(*(one(user) for user in wanted[:LIMIT]))
    for user in wanted[:LIMIT]:
        why = outcomes[user]
        if why:
            report.refused.append((user, why))
        else:
            report.invited.append(user)
    report.refused.sort(key=lambda item: user_ids.index(item[0]))
    return report


async def _invite(
    deps: Deps, inviter: Requester, room: RoomRef, user_id: str, allowed: frozenset[str] | None
) -> str:
    """"" once the DM went out, else why not."""
    info, error = await deps.slack.lookup_user(user_id)
    if info is None:
        return "not found in this workspace" if error == "user_not_found" else "Slack could not say who they are"
    why = _why_not(deps, info, allowed)
    if why:
        return why
    # Keyed as their own /meet would key them: their workspace, and the Grid org (the inviter's, as invitees from
    # outside it are refused above).
    team = str(info.get("team_id") or inviter.team_id)
    invitee = Requester(user_id, team, inviter.enterprise_id, str(info.get("name") or ""))
    url = None
    if deps.signer is not None:
        moderator = identity_of(deps.settings, invitee, info).moderator
        token, claim = deps.signer.sign(invitee, room.room_id, room.external_id, moderator, epoch=deps.spent.epoch)
        url = (f"{deps.settings.public_url}/join/{token}", claim.nonce)
    sent = await deps.slack.send_dm(user_id, messages.invitation_dm(inviter.user_id, room, url))
    if sent:
        return "could not be sent a direct message" if sent != "cannot_dm_bot" else "a bot"
    return ""


def _why_not(deps: Deps, info: Mapping[str, Any], allowed: frozenset[str] | None) -> str:
    if info.get("deleted") is True:
        return "deactivated"
    if info.get("is_bot") is True or info.get("is_app_user") is True or info.get("id") == "USLACKBOT":
        return "a bot"
    enterprise = info.get("enterprise_user")
    enterprise_id = enterprise.get("enterprise_id") if isinstance(enterprise, Mapping) else None
    team = str(info.get("team_id") or "")
    if allowed is not None and not access.team_allowed(allowed, team, enterprise_id if enterprise_id else None):
        return "outside this workspace (Slack Connect)"
    if not deps.settings.allow_guests and access.is_guest(info):
        return "a guest, and guests can't use /meet here"
    return ""
