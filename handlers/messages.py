"""Every message the bot posts and every sentence a person reads. Pure: data in, the JSON body for a
``response_url`` out.

Slack's limits shape these: 50 blocks a message, 3000 characters a section, 75 a button label, 2000 a button value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from om import Recording

from .commands.meet_text import quote
from .rooms import LIST_PAGE_SIZE, RoomRef

if TYPE_CHECKING:
    from .recordings import Listing

LINK_ACTION = "join_room"  # the personal link button (has a url)
PICK_ACTION = "pick_room"  # "give me my own link to this room" (lists, candidates, invitations)
SHARE_ACTION = "share_room"
PAGE_ACTION = "list_page"
WATCH_ACTION = "watch_recording"
RECORDINGS_PAGE_ACTION = "recordings_page"
WATCH_LINK_ACTION = "watch_link"  # the personal Watch link (has a url)
HOME_JOIN_ACTION = "home_join"  # Join beside a room on the Home tab
HOME_LINK_ACTION = "home_link"  # the personal link in the modal Join opens (without PUBLIC_URL)
CANDIDATE_LIMIT = 20

USAGE = (
    "*How to use /meet*\n"
    "• `/meet room-5` or `/meet 5`: a button that takes you into OpenMeetings room 5, as yourself\n"
    "• `/meet standup`: the room named “Standup” (any case, accents optional; part of the name is enough)\n"
    "• `/meet`: this conversation's own room (or the default room, if your admin set one)\n"
    "• `/meet list`: every room, with how many people are in it now\n"
    "• `/meet standup share`: also invite the channel; whoever clicks gets their own link\n"
    "• `/meet room-5 @alice @bob`: also invite Alice and Bob by direct message, each with a link of their own\n"
    "• `/meet recordings` (or `/meet recordings room-5`): the room's recordings, to watch\n"
    "• `/meet help`: this help\n"
    "Your button works once, then refreshes itself for the next click."
)

Message = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reply:
    """A message to post on a response_url, and what the request it answers ended in (one of problems.OUTCOMES;
    the first reply's is counted)."""

    response_url: str
    message: Message
    outcome: str


OTHER_WORKSPACE = "Sorry, this OpenMeetings app only serves the Slack workspace it is installed in."
CANT_CHECK_WORKSPACE = "I can't check your workspace with Slack right now. Please try again in a minute."
NO_GUESTS = "Sorry, guest accounts can't use /meet here. Please ask a member of the channel to invite you."
SORRY = "Something went wrong on my side. Please run /meet again."
RECORDING_ELSEWHERE = "This recording belongs to another conversation's room: open it from that conversation."
RESTARTED = "The bot restarted before it could answer you. Please run /meet again."


def too_fast(wait: float, limit: int) -> str:
    return f"You're going fast: please try again in {math.ceil(wait)} seconds (at most {limit} a minute)."


def join_message(target: RoomRef, url: str, link_id: str, share_id: str) -> Message:
    return _ephemeral(
        f"Join {target.title} (OpenMeetings room {target.room_id})",
        [
            section(f"*{escape(target.title)}* (OpenMeetings room {target.room_id})"),
            {
                "type": "actions",
                "block_id": "join",
                "elements": [
                    {
                        "type": "button",
                        "action_id": LINK_ACTION,
                        "style": "primary",
                        "text": _label(f"Join {target.title}"),
                        "url": url,
                        "value": target.value(l=link_id),
                    },
                    {
                        "type": "button",
                        "action_id": SHARE_ACTION,
                        "text": _label("Share in channel"),
                        "value": target.value(s=share_id),
                    },
                ],
            },
            context("Only you can see this. The link is yours alone: share the room with *Share in channel*."),
        ],
    )


def invite_message(inviter_id: str, target: RoomRef) -> Message:
    """Posted in the channel: everyone sees it, and each clicker gets a link of their own."""
    text = f"<@{inviter_id}> invites you to *{escape(target.title)}* in OpenMeetings."
    return {
        "response_type": "in_channel",
        "replace_original": False,
        "text": f"Join {target.title} in OpenMeetings",
        "blocks": [
            section(text),
            {
                "type": "actions",
                "block_id": "invite",
                "elements": [_pick_button(target, "Join", primary=True)],
            },
            context("Clicking *Join* gets you your own link, under your own name."),
        ],
    }


def invitation_dm(inviter_id: str, target: RoomRef, link: tuple[str, str] | None) -> Message:
    """The direct message to someone invited: a Join of their own, either a link minted for them when they open it
    (``link``: its URL and id) or a button that gets them a personal link when they click it."""
    if link is not None:
        url, link_id = link
        button = button_element(LINK_ACTION, f"Join {target.title}", target.value(l=link_id))
        button.update(url=url, style="primary")
        note = "The link is yours alone and works once: it brings you in under your own name."
    else:
        button = _pick_button(target, f"Join {target.title}", primary=True)
        note = "Clicking *Join* gets you your own link, under your own name."
    return {
        "text": f"You are invited to {target.title} in OpenMeetings",
        "blocks": [
            section(f"<@{inviter_id}> invites you to *{escape(target.title)}* in OpenMeetings."),
            {"type": "actions", "block_id": "invite", "elements": [button]},
            context(note),
        ],
    }


def invite_report(invited: Sequence[str], refused: Sequence[tuple[str, str]]) -> Message:
    """Tells the inviter who got an invitation and who did not, and why."""
    lines = []
    if invited:
        lines.append("Invited by direct message: " + ", ".join(f"<@{user}>" for user in invited) + ".")
    if refused:
        lines.append("Not invited:")
        lines += [f"• <@{user}>: {why}" for user, why in refused]
    text = "\n".join(lines) or "Nobody to invite."
    return _ephemeral(_cut(text, 3000), [section(text)])


def plain_mention_message(names: Sequence[str]) -> Message:
    shown = ", ".join(quote(name) for name in names[:5])
    text = (
        f"{shown} is only text to Slack, so I can't tell who you mean. Type `@` and pick the person from "
        "Slack's list, so the name turns into a mention, then send the command again."
    )
    return _ephemeral(text, [section(text)])


def recordings_message(listing: Listing) -> Message:
    room = listing.room
    where = {"c": listing.channel} if listing.channel else {}
    if not listing.shown:
        text = f"*{escape(room.title)}* has no recordings in OpenMeetings yet."
        return _ephemeral(f"No recordings of {room.title}", [section(text)])
    header = f"*Recordings of {escape(room.title)}*"
    if listing.pages > 1:
        header += f" · page {listing.page + 1} of {listing.pages}"
    blocks: list[dict[str, Any]] = [section(header)]
    for recording, link in zip(listing.shown, listing.links, strict=True):
        line = f"*{escape(recording.name.strip() or f'Recording {recording.id}')}*\n{_when(recording)}"
        row = section(line)
        if recording.processed:
            name = recording.name.strip()[:100]
            button = button_element(WATCH_ACTION, "Watch", room.value(v=recording.id, p=listing.page, n=name, **where))
            if link is not None:
                button.update(url=link[0])
            row["accessory"] = button
        else:
            state = "still being processed" if recording.processing else "could not be processed"
            row["text"]["text"] += f" · {state}"
        blocks.append(row)
    nav: list[dict[str, Any]] = []
    if listing.page > 0:
        nav.append(button_element(RECORDINGS_PAGE_ACTION, "← Previous", room.value(p=listing.page - 1, **where)))
    if listing.page < listing.pages - 1:
        nav.append(button_element(RECORDINGS_PAGE_ACTION, "Next →", room.value(p=listing.page + 1, **where)))
    if nav:
        blocks.append({"type": "actions", "block_id": "pages", "elements": nav})
    blocks.append(context("*Watch* opens the recording in OpenMeetings under your own name; each link works once."))
    return _ephemeral(f"Recordings of {room.title}, page {listing.page + 1} of {listing.pages}", blocks)


def watch_message(room: RoomRef, name: str, url: str) -> Message:
    title = name.strip() or "the recording"
    return _ephemeral(
        f"Watch {title}",
        [
            section(f"*{escape(title)}* (a recording of {escape(room.title)})"),
            {
                "type": "actions",
                "block_id": "watch",
                "elements": [
                    {
                        **button_element(WATCH_LINK_ACTION, f"Watch {title}", room.value()),
                        "url": url,
                        "style": "primary",
                    }
                ],
            },
            context("Only you can see this. The link is yours alone and works once."),
        ],
    )


def which_recordings_message(query: str, rooms: Sequence[RoomRef]) -> Message:
    names = "\n".join(f"• `/meet recordings room-{r.room_id}`: {escape(r.title)}" for r in rooms[:CANDIDATE_LIMIT])
    text = f"Several rooms match {quote(query)}. Which one's recordings?\n{names}"
    return _ephemeral(_cut(text, 3000), [section(text)])


def recordings_off_message() -> Message:
    text = "Recordings are turned off for /meet here (MEET_RECORDINGS=false)."
    return _ephemeral(text, [section(text)])


def recordings_not_here_message(room: RoomRef) -> Message:
    text = (
        f"*{escape(room.title)}* is not a public room, so its recordings are not listed by number or name. "
        "A conversation's own room shows its recordings with `/meet recordings` in that conversation."
    )
    return _ephemeral(text, [section(text)])


def _when(recording: Recording) -> str:
    parts = []
    if recording.start is not None:
        # Slack shows the date in each reader's own time zone; the fallback is UTC.
        epoch, fallback = int(recording.start.timestamp()), f"{recording.start.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        parts.append(f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>")
    if recording.length is not None:
        parts.append(_duration(recording.length))
    return " · ".join(parts) or "no date"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def candidates_message(query: str, rooms: Sequence[RoomRef]) -> Message:
    shown = rooms[:CANDIDATE_LIMIT]
    blocks: list[dict[str, Any]] = [section(f"Several rooms match {quote(query)}. Which one?")]
    blocks += [_room_row(room, f"*{escape(room.title)}* · room {room.room_id}", replace=True) for room in shown]
    if len(rooms) > len(shown):
        blocks.append(context(f"{len(rooms) - len(shown)} more match: type more of the name."))
    return _ephemeral(f"Several rooms match: pick one ({len(rooms)})", blocks)


def kept_elsewhere_message(room: RoomRef) -> Message:
    text = (
        f"Room {room.room_id} belongs to another Slack conversation or to another application, so it can't be "
        "opened by its number. In its conversation, `/meet` opens it; `/meet list` shows the rooms anyone may join."
    )
    return _ephemeral(text, [section(text)])


def no_match_message(query: str) -> Message:
    text = f"No room is named {quote(query)}. `/meet list` shows every room.\n\n{USAGE}"
    return _ephemeral(text, [section(text)])


def list_message(rooms: Sequence[RoomRef], counts: Mapping[int, int | None], page: int) -> Message:
    pages = max(1, -(-len(rooms) // LIST_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = rooms[page * LIST_PAGE_SIZE : (page + 1) * LIST_PAGE_SIZE]
    if not rooms:
        return _ephemeral("No public rooms", [section("OpenMeetings has no public rooms I can see.")])
    header = f"*OpenMeetings rooms* ({len(rooms)})"
    if pages > 1:
        header += f" · page {page + 1} of {pages}"
    blocks: list[dict[str, Any]] = [section(header)]
    for room in shown:
        blocks.append(
            _room_row(room, f"*{escape(room.title)}* · room {room.room_id} · {people_count(counts.get(room.room_id))}")
        )
    nav: list[dict[str, Any]] = []
    if page > 0:
        nav.append(button_element(PAGE_ACTION, "← Previous", json.dumps({"p": page - 1})))
    if page < pages - 1:
        nav.append(button_element(PAGE_ACTION, "Next →", json.dumps({"p": page + 1})))
    if nav:
        blocks.append({"type": "actions", "block_id": "pages", "elements": nav})
    return _ephemeral(f"OpenMeetings rooms, page {page + 1} of {pages}", blocks)


def usage_message(typed: str | None = None) -> Message:
    text = USAGE
    if typed is not None:
        text = f"Sorry, I didn't understand {quote(typed)}.\n\n{USAGE}"
    return _ephemeral(text, [section(text)])


def error_message(text: str) -> Message:
    return _ephemeral(text, [section(f":warning: {text}")])


def replacing(message: Message) -> Message:
    """The same message, told to take the place of the one whose button was clicked."""
    return {**message, "replace_original": True}


def _room_row(room: RoomRef, text: str, *, replace: bool = False) -> dict[str, Any]:
    row = section(text)
    row["accessory"] = _pick_button(room, "Join", replace=replace)
    return row


def _pick_button(target: RoomRef, label: str, *, primary: bool = False, replace: bool = False) -> dict[str, Any]:
    button = button_element(PICK_ACTION, label, target.value(m=1) if replace else target.value())
    if primary:
        button["style"] = "primary"
    return button


def button_element(action_id: str, label: str, value: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": _label(label), "value": value}


def people_count(count: int | None) -> str:
    if count is None:
        return "people: unknown"
    return "1 person in it" if count == 1 else f"{count} people in it"


def _ephemeral(fallback: str, blocks: list[dict[str, Any]]) -> Message:
    return {"response_type": "ephemeral", "text": fallback, "blocks": blocks}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, 3000)}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, 3000)}]}


def _label(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, 75), "emoji": True}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
