"""Reads a Slack body once, at the edge: a slash command or a button click becomes a typed request.

Nothing past this module looks inside a Slack payload. The rules that differ from Bolt's own extractors
(``slack_bolt/request/internals.py``) are here and only here:

- the requester's workspace is ``user.team_id`` before ``team.id``: in a shared channel the click's ``team`` is the
  channel's host, while the person belongs to their own workspace;
- a person's OM ``externalId`` is ``<enterprise or team id>:<user id>``, from the signed request alone, so the
  link made at ``/meet`` and the owner check at the click always agree (``Requester.external_id``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Body = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Requester:
    """The person as the signed request names them (always there, even when ``users.info`` fails)."""

    user_id: str
    team_id: str
    enterprise_id: str | None = None
    user_name: str = ""

    @property
    def external_id(self) -> str:
        # One OM user per person across an Enterprise Grid org, whichever workspace they type in.
        return f"{self.enterprise_id or self.team_id}:{self.user_id}"

    @property
    def org_id(self) -> str:
        """What keys the person's conversations: the Grid org, else the workspace."""
        return self.enterprise_id or self.team_id


@dataclass(frozen=True, slots=True)
class Conversation:
    channel_id: str = ""
    channel_name: str = ""


@dataclass(frozen=True, slots=True)
class CommandRequest:
    """``/meet …`` as Slack posted it."""

    who: Requester
    text: str
    conversation: Conversation
    response_url: str


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """A click on one of the bot's buttons; ``value`` is the button's value, decoded (``{}`` when unreadable)."""

    who: Requester
    action_id: str
    value: Mapping[str, Any] = field(default_factory=dict)
    conversation: Conversation = Conversation()
    response_url: str = ""
    # A click in a view (the Home tab, a modal) has no response_url; its trigger_id may open a modal for 3 s.
    trigger_id: str = ""


@dataclass(frozen=True, slots=True)
class HomeOpened:
    """``app_home_opened``: someone opened the app's Home tab (``tab == "home"``) or its Messages tab."""

    who: Requester
    tab: str


def read_home_opened(body: Body) -> HomeOpened:
    event = _mapping(body, "event")
    return HomeOpened(
        who=Requester(_text(event, "user"), _text(body, "team_id"), _text(body, "enterprise_id") or None),
        tab=_text(event, "tab"),
    )


def read_command(body: Body) -> CommandRequest:
    return CommandRequest(
        who=Requester(
            user_id=_text(body, "user_id"),
            team_id=_text(body, "team_id"),
            enterprise_id=_text(body, "enterprise_id") or None,
            user_name=_text(body, "user_name"),
        ),
        text=_text(body, "text"),
        conversation=Conversation(_text(body, "channel_id"), _text(body, "channel_name")),
        response_url=_text(body, "response_url"),
    )


def read_action(body: Body) -> ActionRequest:
    user = _mapping(body, "user")
    channel = _mapping(body, "channel")
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], Mapping) else {}
    return ActionRequest(
        who=Requester(
            user_id=_text(user, "id"),
            team_id=_text(user, "team_id") or _text(_mapping(body, "team"), "id"),
            enterprise_id=_text(_mapping(body, "enterprise"), "id") or None,
            user_name=_text(user, "username") or _text(user, "name"),
        ),
        action_id=_text(first, "action_id"),
        value=_button_value(first),
        conversation=Conversation(_text(channel, "id"), _text(channel, "name")),
        response_url=_text(body, "response_url"),
        trigger_id=_text(body, "trigger_id"),
    )


def summary(body: Body) -> str:
    """What Slack asked for and by whom, for the log; never the text typed or a response_url."""
    if "command" in body:
        return f"command={_text(body, 'command')} user={_text(body, 'user_id')}"
    if _text(body, "type") == "event_callback":
        event = _mapping(body, "event")
        return f"event={_text(event, 'type')} user={_text(event, 'user')}"
    action = read_action(body)
    return f"type={_text(body, 'type')} action={action.action_id} user={action.who.user_id}"


def encode_value(data: Mapping[str, Any]) -> str:
    """A button's value: compact JSON (Slack allows 2000 characters)."""
    return json.dumps(data, separators=(",", ":"))


def _button_value(action: Mapping[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(str(action.get("value") or ""))
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _mapping(body: Body, key: str) -> Mapping[str, Any]:
    value = body.get(key)
    return value if isinstance(value, Mapping) else {}


def _text(body: Body, key: str) -> str:
    value = body.get(key)
    return value if isinstance(value, str) else ""
