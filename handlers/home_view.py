"""The App Home tab: the public rooms with how many people are in each, the person's recent rooms, a how-to, and for
workspace admins the bot's status. Pure: data in, a ``views.publish`` view out, within Slack's 100 blocks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .deps import BotStatus
from .messages import (
    HOME_JOIN_ACTION,
    HOME_LINK_ACTION,
    Message,
    button_element,
    context,
    escape,
    people_count,
    section,
)
from .rooms import RoomRef

# Slack refuses a view of more than 100 blocks; the rooms get what the rest leaves, and a pointer to /meet list.
MAX_BLOCKS = 100
HOME_ROOMS = 40

HOW_TO = (
    "*Using /meet*\n"
    "• `/meet room-5` or `/meet standup`: a Join button for that room, for you alone\n"
    "• `/meet` in a channel: the channel's own room · `/meet list`: every room\n"
    "• `/meet room-5 @alice`: invite Alice too · `/meet recordings`: watch what was recorded\n"
    "Every Join brings you in under your own name."
)


@dataclass(frozen=True, slots=True)
class HomeRooms:
    listed: Sequence[RoomRef]  # every public room
    counts: Mapping[int, int | None]
    # A problem with OpenMeetings to show above the list (it is then as last seen), or "".
    problem: str = ""
    age: float | None = None  # seconds since the list was fetched, when it comes from memory


def home_view(
    rooms: HomeRooms,
    recent: Sequence[RoomRef],
    links: Mapping[int, str],
    status: BotStatus | None,
) -> Message:
    """``links``: a URL per room id where Join opens a link minted at the click; other rooms' Join is a button."""
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "OpenMeetings", "emoji": True}},
        section(HOW_TO),
    ]
    if status is not None:
        blocks.append(context(_status_line(status)))
    if recent:
        blocks += [{"type": "divider"}, section("*Your recent rooms*")]
        blocks += [_room(room, links, None) for room in recent]
    blocks += [{"type": "divider"}, section(f"*Public rooms* ({len(rooms.listed)})")]
    if rooms.problem:
        when = f" This list is from {_ago(rooms.age)}." if rooms.age is not None else ""
        blocks.append(section(f":warning: {rooms.problem}{when}"))
    room_room = MAX_BLOCKS - len(blocks) - 1
    shown = list(rooms.listed[: min(HOME_ROOMS, room_room)])
    blocks += [_room(room, links, people_count(rooms.counts.get(room.room_id))) for room in shown]
    if not rooms.listed and not rooms.problem:
        blocks.append(section("OpenMeetings has no public rooms I can see."))
    if len(rooms.listed) > len(shown):
        blocks.append(context(f"{len(rooms.listed) - len(shown)} more: `/meet list` shows every room."))
    return {"type": "home", "blocks": blocks}


def _room(room: RoomRef, links: Mapping[int, str], people: str | None) -> dict[str, object]:
    text = f"*{escape(room.title)}*" + (f" · room {room.room_id} · {people}" if people is not None else "")
    row = section(text)
    button = button_element(HOME_JOIN_ACTION, "Join", room.value())
    url = links.get(room.room_id)
    if url:
        button.update(url=url, style="primary")
    row["accessory"] = button
    return row


def _status_line(status: BotStatus) -> str:
    checked = f", checked {status.checked_seconds_ago:.0f} s ago" if status.checked_seconds_ago is not None else ""
    version = f" {status.version}" if status.version else ""
    return (
        f"*Bot status* (workspace admins see this): OpenMeetings{version} {status.openmeetings}{checked} · "
        f"{status.sessions_ready} sessions ready"
    )


def _ago(seconds: float | None) -> str:
    if seconds is None or seconds < 90:
        return "a minute ago"
    return f"{seconds / 60:.0f} minutes ago"


def link_modal(room: RoomRef, url: str) -> Message:
    """Without PUBLIC_URL, Join on the Home tab opens this modal with the person's own link."""
    button = {**button_element(HOME_LINK_ACTION, f"Join {room.title}", room.value()), "url": url, "style": "primary"}
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Join OpenMeetings"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [
            section(f"*{escape(room.title)}* (OpenMeetings room {room.room_id})"),
            {"type": "actions", "block_id": "join", "elements": [button]},
            context("The link is yours alone and works once: reopen the Home tab for a fresh one."),
        ],
    }


def waiting_modal() -> Message:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Join OpenMeetings"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section("Getting your own link from OpenMeetings…")],
    }


def refusal_view(text: str) -> Message:
    return {"type": "home", "blocks": [section(f":warning: {text}")]}
