"""Block Kit messages. Pure: data in, the JSON body for a ``response_url`` out."""

from __future__ import annotations

import json
from typing import Any

from .command import quote

JOIN_ACTION = "join_room"

USAGE = (
    "*How to use /meet*\n"
    "• `/meet room-5` or `/meet 5`: a button that takes you into OpenMeetings room 5, as yourself\n"
    "• `/meet`: the default room, if your admin has set one\n"
    "• `/meet help`: this help\n"
    "The button is yours alone; it works once, then refreshes itself for the next click."
)

Message = dict[str, Any]


def join_message(room_id: int, room_name: str, url: str, link_id: str) -> Message:
    title = room_name.strip() or f"Room {room_id}"
    label = _plain(f"Join {title}", 75)
    value = json.dumps({"r": room_id, "l": link_id}, separators=(",", ":"))
    return _ephemeral(
        f"Join OpenMeetings room {room_id} ({title})",
        [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{_escape(title)}* (OpenMeetings room {room_id})"},
            },
            {
                "type": "actions",
                "block_id": "join",
                "elements": [
                    {
                        "type": "button",
                        "action_id": JOIN_ACTION,
                        "style": "primary",
                        "text": {"type": "plain_text", "text": label, "emoji": True},
                        "url": url,
                        "value": value,
                    }
                ],
            },
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Only you can see this. The link is yours: don't share it."}],
            },
        ],
    )


def usage_message(typed: str | None = None) -> Message:
    text = USAGE
    if typed is not None:
        text = f"Sorry, I didn't understand {quote(typed)}.\n\n{USAGE}"
    return _ephemeral(text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}])


def error_message(text: str) -> Message:
    return _ephemeral(text, [{"type": "section", "text": {"type": "mrkdwn", "text": f":warning: {text}"}}])


def replacing(message: Message) -> Message:
    """The same message, told to take the place of the one whose button was clicked."""
    return {**message, "replace_original": True}


def _ephemeral(fallback: str, blocks: list[dict[str, Any]]) -> Message:
    return {"response_type": "ephemeral", "text": fallback, "blocks": blocks}


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
