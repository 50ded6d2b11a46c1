"""What ``/meet`` and its buttons do. ``register`` puts one listener on the app for each entry point.

A new button is a file in ``actions/`` with an ``ACTION_ID`` and an ``answer(request, deps)``, plus one line here.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from .actions import (
    home_join,
    home_link,
    join_link,
    list_page,
    pick_room,
    recordings_page,
    share_room,
    watch_link,
    watch_recording,
)
from .commands import meet
from .deps import Deps
from .events import app_home
from .listener import acked, acked_quietly
from .payloads import read_action, read_command, read_home_opened


def register(app: AsyncApp, deps: Deps) -> None:
    app.command(meet.COMMAND)(acked(deps, read_command, meet.answer, "command", "meet"))
    app.action(join_link.ACTION_ID)(acked(deps, read_action, join_link.answer, "button", "join"))
    app.action(pick_room.ACTION_ID)(acked(deps, read_action, pick_room.answer, "button", "pick"))
    app.action(share_room.ACTION_ID)(acked(deps, read_action, share_room.answer, "button", "share"))
    app.action(list_page.ACTION_ID)(acked(deps, read_action, list_page.answer, "button", "page"))
    app.action(watch_recording.ACTION_ID)(acked(deps, read_action, watch_recording.answer, "button", "watch"))
    app.action(recordings_page.ACTION_ID)(acked(deps, read_action, recordings_page.answer, "button", "recordings"))
    app.action(watch_link.ACTION_ID)(acked_quietly(deps, read_action, watch_link.answer, "button", "watch_link"))
    app.action(home_join.ACTION_ID)(acked_quietly(deps, read_action, home_join.answer, "button", "home_join"))
    app.action(home_link.ACTION_ID)(acked_quietly(deps, read_action, home_link.answer, "button", "home_link"))
    app.event(app_home.EVENT)(acked_quietly(deps, read_home_opened, app_home.answer, "event", "app_home"))
