"""What ``/meet`` and its buttons do, between Slack and OM (no Slack wiring here).

Every entry point takes a Slack payload and returns the replies to post, each to
a response_url. Nothing here raises for OM or Slack trouble: a failure becomes
an ephemeral message that says what is wrong.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from om import (
    OMAuthError,
    OMError,
    OMMissingRightError,
    OMNotAllowedError,
    OMNotFoundError,
    OMTimeoutError,
    OMTLSError,
    OMUnreachableError,
    Room,
    RoomDefinition,
    RoomDirectory,
    RoomOptions,
    SessionPool,
    join_url,
)

from . import blocks
from .access import RateLimiter, is_guest, team_allowed
from .blocks import Message, Target
from .command import FindRoom, JoinRoom, ListRooms, ShowHelp, Unparsed, parse
from .config import Config
from .identity import SlackPerson, person_from_body, resolve
from .metrics import note_error, note_outcome
from .shares import ShareStore
from .slack_api import SlackAPI

log = logging.getLogger(__name__)

UNREACHABLE = "OpenMeetings is not reachable right now. Please try again in a minute."
TIMED_OUT = "OpenMeetings is not reachable: it did not answer in time. Please try again in a minute."
LOGIN_REFUSED = (
    "OpenMeetings refused the bot's own login, so I can't open rooms right now. "
    "Please ask your Slack admin to check the bot's OpenMeetings account."
)
NO_SOAP = (
    "The bot's OpenMeetings user lacks the *SOAP* right, so OpenMeetings won't make join links. "
    "Please ask your OpenMeetings admin to grant it (Administration → Users → the bot's user → Rights)."
)
UNEXPECTED = "OpenMeetings gave an unexpected answer. Please try again; if it keeps happening, tell your admin."
OTHER_WORKSPACE = "Sorry, this OpenMeetings app only serves the Slack workspace it is installed in."
CANT_CHECK_WORKSPACE = "I can't check your workspace with Slack right now. Please try again in a minute."
NO_GUESTS = "Sorry, guest accounts can't use /meet here. Please ask a member of the channel to invite you."
_PRIVATE_NAMES = frozenset({"directmessage", "privategroup", ""})


@dataclass(frozen=True, slots=True)
class Reply:
    response_url: str
    message: Message


class MeetService:
    def __init__(
        self, config: Config, pool: SessionPool, rooms: RoomDirectory, slack: SlackAPI, shares: ShareStore
    ) -> None:
        self._config = config
        self._pool = pool
        self._rooms = rooms
        self._slack = slack
        self._shares = shares
        self._limiter = RateLimiter(config.rate_limit)

    # -- entry points ---------------------------------------------------------------

    async def on_command(self, body: Mapping[str, Any]) -> list[Reply]:
        url = _text(body, "response_url")
        command = parse(_text(body, "text"))
        person = person_from_body(body)
        light = isinstance(command, ShowHelp | Unparsed)
        refusal = await self._admit(person, counts=not light, guests=not light)
        if refusal is not None:
            return [Reply(url, refusal)]
        if isinstance(command, ShowHelp):
            return [Reply(url, blocks.usage_message())]
        if isinstance(command, Unparsed):
            return [Reply(url, blocks.usage_message(command.text))]
        if isinstance(command, ListRooms):
            return [Reply(url, await self.room_list(0))]
        try:
            if isinstance(command, FindRoom):
                matches = [_target(room) for room in await self._rooms.find(command.name)]
                if not matches:
                    return [Reply(url, blocks.no_match_message(command.name))]
                if len(matches) > 1:
                    return [Reply(url, blocks.candidates_message(command.name, matches))]
                target: Awaitable[Target] = _ready(matches[0])
            elif isinstance(command, JoinRoom):
                target = self._target_by_id(command.room_id)
            else:
                conversation = self._conversation_target(body, person)
                if conversation is None:
                    return [Reply(url, blocks.usage_message())]
                target = conversation
        except OMError as exc:
            return [Reply(url, blocks.error_message(self._explain(exc)))]
        message, resolved = await self._join(person, target, url)
        replies = [Reply(url, message)]
        if command.share and resolved is not None:
            replies.append(Reply(url, blocks.invite_message(person.user_id, resolved)))
        return replies

    async def on_join_click(self, body: Mapping[str, Any]) -> list[Reply]:
        """The personal link was clicked: it is spent, so the message gets a fresh one."""
        url = _text(body, "response_url")
        value = _button_value(body)
        person = person_from_body(body)
        refusal = await self._admit(person, counts=False, guests=True)
        if refusal is not None:
            return [Reply(url, blocks.replacing(refusal))]
        link_id = value.get("l")
        if isinstance(link_id, str) and link_id:
            self._pool.forget_link(link_id, person.external_id)
        target = self._target_from_value(value)
        if target is None:
            return []
        message, _ = await self._join(person, target, url)
        return [Reply(url, blocks.replacing(message))]

    async def on_pick_click(self, body: Mapping[str, Any]) -> list[Reply]:
        """A Join in a list, a choice of rooms or a channel invitation: the clicker gets their own link."""
        url = _text(body, "response_url")
        value = _button_value(body)
        person = person_from_body(body)
        refusal = await self._admit(person, counts=False, guests=True)
        if refusal is not None:
            return [Reply(url, refusal)]
        target = self._target_from_value(value)
        if target is None:
            return []
        message, _ = await self._join(person, target, url)
        # In a channel invitation the message is everyone's: never replace it, answer the clicker alone.
        return [Reply(url, blocks.replacing(message) if value.get("m") == 1 else message)]

    async def on_share_click(self, body: Mapping[str, Any]) -> list[Reply]:
        refusal = await self._admit(person_from_body(body), counts=False, guests=True)
        if refusal is not None:
            return [Reply(_text(body, "response_url"), refusal)]
        value = _button_value(body)
        target = self._target_from_value(value)
        if target is None:
            return []
        share_id = value.get("s")
        url = (self._shares.get(share_id) if isinstance(share_id, str) else None) or _text(body, "response_url")
        try:
            resolved = await target
        except OMError as exc:
            return [Reply(_text(body, "response_url"), blocks.error_message(self._explain(exc)))]
        return [Reply(url, blocks.invite_message(person_from_body(body).user_id, resolved))]

    async def on_page_click(self, body: Mapping[str, Any]) -> list[Reply]:
        refusal = await self._admit(person_from_body(body), counts=False, guests=True)
        if refusal is not None:
            return [Reply(_text(body, "response_url"), refusal)]
        page = _button_value(body).get("p")
        page = page if isinstance(page, int) else 0
        return [Reply(_text(body, "response_url"), blocks.replacing(await self.room_list(page)))]

    # -- who may ---------------------------------------------------------------------

    async def _admit(self, person: SlackPerson, *, counts: bool, guests: bool) -> Message | None:
        """A refusal, or None. Runs before any OM request. The rate limit counts /meet commands that reach OM:
        a script can send those, while clicks come only from people in Slack's own client."""
        allowed = self._config.allowed_teams
        if not allowed:
            own = await self._slack.own_team()
            if own is None:
                return blocks.error_message(CANT_CHECK_WORKSPACE)
            allowed = frozenset(x for x in own if x)
        note_outcome("refused")
        if not team_allowed(allowed, person.team_id, person.enterprise_id):
            log.warning("meet: refused a request from another workspace team=%s", person.team_id)
            return blocks.error_message(OTHER_WORKSPACE)
        if counts:
            wait = self._limiter.hit(person.external_id)
            if wait:
                return blocks.error_message(
                    f"You're going fast: please try again in {math.ceil(wait)} seconds "
                    f"(at most {self._limiter.limit} a minute)."
                )
        if guests and not self._config.allow_guests and is_guest(await self._slack.user_info(person.user_id)):
            return blocks.error_message(NO_GUESTS)
        note_outcome(None)
        return None

    # -- the work -------------------------------------------------------------------

    async def room_list(self, page: int) -> Message:
        try:
            rooms = [_target(room) for room in await self._rooms.public_rooms()]
            start = max(page, 0) * blocks.LIST_PAGE_SIZE
            shown = rooms[start : start + blocks.LIST_PAGE_SIZE]
            counts = await self._rooms.counts_by_id([t.room_id for t in shown])
        except OMError as exc:
            return blocks.error_message(self._explain(exc))
        return blocks.list_message(rooms, counts, page)

    async def _join(
        self, person: SlackPerson, target: Awaitable[Target], response_url: str
    ) -> tuple[Message, Target | None]:
        """A personal link to the target, for this person alone."""
        try:
            info, resolved = await asyncio.gather(self._slack.user_info(person.user_id), target)
            identity = resolve(
                person,
                info,
                external_type=self._config.external_type,
                moderators=self._config.moderators,
                admins_are_moderators=self._config.admins_are_moderators,
                default_language=self._config.language,
            )
            options = RoomOptions(
                room_id=resolved.room_id,
                external_room_id=resolved.external_id,
                external_type=self._config.external_type if resolved.external_id else "",
                moderator=identity.moderator,
            )
            issued = await self._pool.issue_hash(identity.user, options)
        except OMError as exc:
            return blocks.error_message(self._explain(exc)), None
        url = join_url(self._config.openmeetings_url, issued.hash, identity.language)
        self._shares.add(issued.link_id, response_url)
        log.info("meet: link issued room=%s moderator=%s", resolved.room_id, identity.moderator)
        return blocks.join_message(resolved, url, issued.link_id, issued.link_id), resolved

    async def _target_by_id(self, room_id: int) -> Target:
        return _target(await self._rooms.get(room_id))

    def _conversation_target(self, body: Mapping[str, Any], person: SlackPerson) -> Awaitable[Target] | None:
        if self._config.default_room is not None:
            return self._target_by_id(self._config.default_room)
        channel_id = _text(body, "channel_id")
        if not self._config.channel_rooms or not channel_id:
            return None
        return self._conversation_room(person, channel_id, _text(body, "channel_name"))

    async def _conversation_room(self, person: SlackPerson, channel_id: str, channel_name: str) -> Target:
        # Keyed like people: one room per conversation across an Enterprise Grid org.
        external_id = f"{person.enterprise_id or person.team_id}:{channel_id}"
        if channel_name in _PRIVATE_NAMES or channel_name.startswith("mpdm-"):
            name = f"Slack conversation {channel_id}"
        else:
            name = f"#{channel_name}"
        definition = RoomDefinition(name=name, comment=f"Slack conversation {channel_id}")
        room = await self._rooms.external(self._config.external_type, external_id, definition)
        return Target(room.id, room.name, external_id)

    def _target_from_value(self, value: Mapping[str, Any]) -> Awaitable[Target] | None:
        room_id = value.get("r")
        if not isinstance(room_id, int) or isinstance(room_id, bool) or room_id <= 0:
            return None
        external_id = value.get("x")
        if isinstance(external_id, str) and external_id:
            return self._external_target(room_id, external_id)
        return self._target_by_id(room_id)

    async def _external_target(self, room_id: int, external_id: str) -> Target:
        room = await self._rooms.get(room_id)
        return Target(room.id, room.name, external_id)

    def _explain(self, exc: OMError) -> str:
        note_error(exc)
        if isinstance(exc, OMNotFoundError):
            return f"{_capitalised(str(exc))} in OpenMeetings. Check the number, or try `/meet list`."
        if isinstance(exc, OMTLSError):
            log.error("meet: %s", exc)
            return UNREACHABLE
        if isinstance(exc, OMUnreachableError):
            log.warning("meet: %s", exc)
            return TIMED_OUT if isinstance(exc, OMTimeoutError) else UNREACHABLE
        if isinstance(exc, OMAuthError):
            log.error("meet: %s; check OPENMEETINGS_USER and OPENMEETINGS_PASSWORD", exc)
            return LOGIN_REFUSED
        if isinstance(exc, OMMissingRightError | OMNotAllowedError):
            log.error("meet: %s; grant the SOAP right to OPENMEETINGS_USER in OpenMeetings", exc)
            return NO_SOAP
        log.error("meet: %s", exc)
        return UNEXPECTED


def _target(room: Room) -> Target:
    return Target(room.id, room.name)


async def _ready(target: Target) -> Target:
    return target


def _text(body: Mapping[str, Any], key: str) -> str:
    value = body.get(key)
    if isinstance(value, str):
        return value
    if key.startswith("channel_") and isinstance(body.get("channel"), Mapping):
        nested = body["channel"].get(key.removeprefix("channel_"))
        return nested if isinstance(nested, str) else ""
    return ""


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _button_value(body: Mapping[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        return {}
    try:
        value = json.loads(str(actions[0].get("value") or ""))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
