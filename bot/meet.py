"""What ``/meet`` and the Join button do, between Slack and OM (no Slack wiring here)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
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
    RoomOptions,
    SessionPool,
    join_url,
)

from . import blocks
from .command import DefaultRoom, JoinRoom, ShowHelp, Unparsed, parse
from .config import Config
from .identity import SlackPerson, person_from_body, resolve
from .metrics import note_error
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


class MeetService:
    def __init__(self, config: Config, pool: SessionPool, slack: SlackAPI) -> None:
        self._config = config
        self._pool = pool
        self._slack = slack

    async def on_command(self, body: Mapping[str, Any]) -> blocks.Message:
        command = parse(body.get("text") if isinstance(body.get("text"), str) else "")
        if isinstance(command, ShowHelp):
            return blocks.usage_message()
        if isinstance(command, Unparsed):
            return blocks.usage_message(command.text)
        if isinstance(command, DefaultRoom):
            if self._config.default_room is None:
                return blocks.usage_message()
            command = JoinRoom(self._config.default_room)
        return await self.join(person_from_body(body), command.room_id)

    async def on_click(self, body: Mapping[str, Any]) -> blocks.Message | None:
        """The Join button was clicked: its link is spent, so the message gets a fresh one."""
        person = person_from_body(body)
        room_id, link_id = _button_value(body)
        if room_id is None:
            return None
        if link_id:
            self._pool.forget_link(link_id, person.external_id)
        return blocks.replacing(await self.join(person, room_id))

    async def join(self, person: SlackPerson, room_id: int) -> blocks.Message:
        try:
            info, room = await asyncio.gather(self._slack.user_info(person.user_id), self._pool.room(room_id))
            identity = resolve(
                person,
                info,
                external_type=self._config.external_type,
                moderators=self._config.moderators,
                admins_are_moderators=self._config.admins_are_moderators,
                default_language=self._config.language,
            )
            issued = await self._pool.issue_hash(
                identity.user, RoomOptions(room_id=room_id, moderator=identity.moderator)
            )
        except OMError as exc:
            note_error(exc)
            return blocks.error_message(self._explain(exc, room_id))
        url = join_url(self._config.openmeetings_url, issued.hash, identity.language)
        log.info("meet: link issued room=%s moderator=%s", room_id, identity.moderator)
        return blocks.join_message(room_id, room.name, url, issued.link_id)

    def _explain(self, exc: OMError, room_id: int) -> str:
        if isinstance(exc, OMNotFoundError):
            return f"Room {room_id} does not exist in OpenMeetings. Check the number, or try `/meet help`."
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


def _button_value(body: Mapping[str, Any]) -> tuple[int | None, str]:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        return None, ""
    try:
        value = json.loads(str(actions[0].get("value") or ""))
        room_id = int(value["r"])
        link_id = str(value.get("l") or "")
    except (ValueError, TypeError, KeyError):
        return None, ""
    return (room_id if room_id > 0 else None), link_id
