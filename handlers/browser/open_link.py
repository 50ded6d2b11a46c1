"""A join link minted at the click was opened: check the token, spend it, mint the hash, send the browser to OM.

One OM round trip (``POST /user/hash`` on a pooled SID, beside the look-up that the room is still there) when the
pool has a session. The token is spent before the hash is asked for, so two tabs opening it at once can't both get in;
when OM can't make the hash, the claim is undone and a reload works once OM is back. ``HEAD`` and link previewers
never mint and never spend.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from om import IssuedHash, OMError, OMNotFoundError, join_url

from .. import links, pages, problems
from ..deps import Deps, StoreError, StoreReset
from ..pages import Page
from ..people import Identity
from ..rooms import RoomRef, by_value
from ..tokens import TokenError, spent_key

log = logging.getLogger(__name__)

# Fetchers that open links to show a preview, not people: Slack's unfurler and image proxy, and the usual others.
PREVIEWERS = (
    "slackbot", "slack-imgproxy", "facebookexternalhit", "twitterbot", "linkedinbot", "discordbot", "whatsapp",
    "telegrambot", "skypeuripreview", "microsoftpreview", "teamsbot", "googlebot", "bingbot", "applebot",
    "embedly", "iframely", "mattermost", "zoominfobot", "redditbot", "pinterest", "vkshare", "w3c_validator",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OpenRequest:
    method: str
    token: str
    user_agent: str = ""


def is_previewer(user_agent: str) -> bool:
    agent = user_agent.lower()
    return any(name in agent for name in PREVIEWERS)


async def answer(request: OpenRequest, deps: Deps) -> tuple[Page, str]:
    """(the page, the outcome counted)."""
    if request.method != "GET" or is_previewer(request.user_agent):
        return pages.preview(), "preview"
    if deps.signer is None:
        return pages.refused(404, "Not a join link", pages.FORGED), "invalid"
    try:
        claim = deps.signer.read(request.token)
    except TokenError as exc:
        if exc.expired:
            return pages.refused(410, "This link has expired", pages.EXPIRED), "expired"
        return pages.refused(404, "Not a join link", pages.FORGED), "invalid"
    key = spent_key(request.token)
    try:
        if not await deps.spent.claim(key, claim.epoch):
            return pages.refused(410, "This link has been used", pages.SPENT), "spent"
    except StoreReset:
        log.warning("join link: not opened, it was made before the shared store lost its record of spent links")
        return pages.refused(410, "This link is too old", pages.STORE_RESET), "expired"
    except StoreError as exc:
        log.warning("join link: not opened, the store did not answer: %s", exc)
        return pages.refused(503, "Please try again in a minute", pages.CANT_CHECK), "unreachable"
    settings = deps.settings

    async def mint() -> tuple[Identity, IssuedHash]:
        identity = links.identity_of(settings, claim.who, await deps.slack.user_info(claim.who.user_id))
        target = RoomRef(claim.room_id, "", claim.external_id)
        options = links.room_options(settings, target, claim.moderator, claim.recording_id)
        return identity, await deps.pool.issue_hash(identity.user, options, keep_alive=False)

    try:
        # The room is looked up afresh (a link may outlive its room) beside the hash, so the browser waits for one
        # OM round trip, not two. When the room is gone that hash is never handed out, and its SID made no other.
        checked, minted = await asyncio.gather(
            by_value(deps.rooms, claim.room_id, claim.external_id, fresh=True), mint(), return_exceptions=True
        )
        if isinstance(checked, BaseException):
            raise checked
        if isinstance(minted, BaseException):
            raise minted
        identity, issued = minted
    except OMNotFoundError:
        return pages.refused(404, "This room is gone", pages.ROOM_GONE), "room_not_found"
    except OMError as exc:
        says, outcome = problems.explain(exc)
        await _release(deps, key)
        text = f"{says.replace('*', '')} {pages.NOT_NOW}"
        return pages.refused(503, "OpenMeetings can't open the room right now", text), outcome
    if claim.recording_id is None:
        await _remember(deps, claim.who.external_id, checked)
    log.info("join link: opened room=%s moderator=%s recording=%s", claim.room_id, claim.moderator, claim.recording_id)
    return pages.redirect(join_url(settings.openmeetings_url, issued.hash, identity.language)), "ok"


async def _remember(deps: Deps, person: str, room: RoomRef) -> None:
    try:
        await deps.recent.add(person, room)
    except StoreError as exc:
        log.warning("join link: recent rooms not updated: %s", exc)


async def _release(deps: Deps, key: str) -> None:
    try:
        await deps.spent.release(key)
    except StoreError as exc:
        # Still spent in the store: the person runs /meet again rather than reload. Never two hashes for one link.
        log.warning("join link: could not undo a claim: %s", exc)
