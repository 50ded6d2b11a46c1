"""``/meet``: read what was typed, admit the person, pick the room, then resolve the Slack user into an
ExternalUserDTO, ask the ``om`` client for a room hash and reply with an ephemeral Join button."""

from __future__ import annotations

from collections.abc import Awaitable

from om import OMError

from .. import access, invites, links, messages, problems, recordings, rooms
from ..deps import Deps
from ..messages import Reply
from ..payloads import CommandRequest
from ..rooms import RoomRef
from .meet_text import (
    DefaultRoom,
    FindRoom,
    JoinRoom,
    ListRooms,
    PlainMention,
    Recordings,
    ShowHelp,
    Unparsed,
    parse,
)

COMMAND = "/meet"


async def answer(request: CommandRequest, deps: Deps) -> list[Reply]:
    url = request.response_url
    command = parse(request.text)
    light = isinstance(command, ShowHelp | Unparsed | PlainMention)
    refusal = await access.admit(deps, request.who, counts=not light, guests=not light)
    if refusal is not None:
        return [Reply(url, refusal.message, refusal.outcome)]
    try:
        match command:
            case ShowHelp():
                return [Reply(url, messages.usage_message(), "usage")]
            case Unparsed(text=typed):
                return [Reply(url, messages.usage_message(typed), "usage")]
            case PlainMention(names=names):
                return [Reply(url, messages.plain_mention_message(names), "usage")]
            case Recordings():
                return [await _recordings(request, deps, command)]
            case ListRooms():
                listed, counts = await rooms.page(deps.rooms, 0)
                return [Reply(url, messages.list_message(listed, counts, 0), "ok")]
            case FindRoom(name=name, share=share, invite=invite):
                matches = await rooms.by_name(deps.rooms, name)
                if not matches:
                    return [Reply(url, messages.no_match_message(name), "usage")]
                if len(matches) > 1:
                    return [Reply(url, messages.candidates_message(name, matches), "ok")]
                room: Awaitable[RoomRef] = _ready(matches[0])
            case JoinRoom(room_id=room_id, share=share, invite=invite):
                if room_id == deps.settings.default_room:
                    room = rooms.by_id(deps.rooms, room_id)  # the admin's choice for everyone, wherever it is kept
                else:
                    room = rooms.by_number(
                        deps.rooms, room_id, deps.settings.external_type, request.who, request.conversation
                    )
            case DefaultRoom(share=share, invite=invite):
                if deps.settings.default_room is not None:
                    room = rooms.by_id(deps.rooms, deps.settings.default_room)
                elif deps.settings.channel_rooms and request.conversation.channel_id:
                    room = rooms.for_conversation(
                        deps.rooms, deps.settings.external_type, request.who, request.conversation
                    )
                else:
                    return [Reply(url, messages.usage_message(), "usage")]
        link = await links.issue(deps, request.who, room, url)
    except OMError as exc:
        says, outcome = problems.explain(exc)
        return [Reply(url, messages.error_message(says), outcome)]
    except rooms.KeptElsewhere as refused:
        return [Reply(url, messages.kept_elsewhere_message(refused.room), "refused")]
    replies = [Reply(url, messages.join_message(link.room, link.url, link.link_id, link.link_id), "ok")]
    if share:
        replies.append(Reply(url, messages.invite_message(request.who.user_id, link.room), "ok"))
    if invite:
        report = await invites.send(deps, request.who, link.room, invite)
        replies.append(Reply(url, messages.invite_report(report.invited, report.refused), "ok"))
    return replies


async def _recordings(request: CommandRequest, deps: Deps, command: Recordings) -> Reply:
    """The room's recordings, if this person may see them from here (raises OMError)."""
    url = request.response_url
    if not deps.settings.recordings:
        return Reply(url, messages.recordings_off_message(), "usage")
    settings, channel = deps.settings, ""
    if command.room_id is not None:
        room = await rooms.by_id(deps.rooms, command.room_id)
    elif command.name:
        matches = await rooms.by_name(deps.rooms, command.name)
        if not matches:
            return Reply(url, messages.no_match_message(command.name), "usage")
        if len(matches) > 1:
            return Reply(url, messages.which_recordings_message(command.name, matches), "usage")
        room = matches[0]
    elif settings.default_room is not None:
        room = await rooms.by_id(deps.rooms, settings.default_room)
    elif settings.channel_rooms and request.conversation.channel_id:
        room = await rooms.for_conversation(deps.rooms, settings.external_type, request.who, request.conversation)
        channel = request.conversation.channel_id
    else:
        return Reply(url, messages.usage_message(), "usage")
    if not channel and room.room_id != settings.default_room and not await recordings.is_public(deps, room.room_id):
        return Reply(url, messages.recordings_not_here_message(room), "refused")
    listing = await recordings.listing(deps, request.who, room, channel, 0)
    return Reply(url, messages.recordings_message(listing), "ok")


async def _ready(room: RoomRef) -> RoomRef:
    return room
