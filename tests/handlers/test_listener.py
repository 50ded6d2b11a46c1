"""The shape every listener shares: ack, then answer in place (already acked) or as tracked work; a crash or a
shutdown still tells the person something."""

from __future__ import annotations

import asyncio
from typing import Any

from handlers import messages
from handlers.deps import Deps
from handlers.listener import ACKED, acked
from handlers.messages import Reply
from handlers.payloads import read_command
from tests.handlers.conftest import RESPONSE_URL, MakeDeps

BODY = {"user_id": "U0ALICE01", "team_id": "T0TEAM001", "text": "x", "response_url": RESPONSE_URL}


class Ack:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1


async def test_in_place_when_the_server_acked_already(make_deps: MakeDeps) -> None:
    harness = make_deps()

    async def answer(request: Any, deps: Deps) -> list[Reply]:
        return [Reply(request.response_url, messages.usage_message(), "usage")]

    ack = Ack()
    await acked(harness.deps, read_command, answer, "command", "meet")(ack, BODY, {ACKED: True})
    assert ack.calls == 1 and harness.spawned == []
    assert harness.counted == [("command", "usage")] and harness.slack.posted[0][0] == RESPONSE_URL


async def test_as_tracked_work_otherwise(make_deps: MakeDeps) -> None:
    harness = make_deps()

    async def answer(request: Any, deps: Deps) -> list[Reply]:
        raise AssertionError("runs in the spawned task, not here")

    await acked(harness.deps, read_command, answer, "command", "meet")(Ack(), BODY, {})
    assert harness.spawned == ["meet"] and harness.slack.posted == []


async def test_a_crash_is_answered_and_counted(make_deps: MakeDeps) -> None:
    harness = make_deps()

    async def answer(request: Any, deps: Deps) -> list[Reply]:
        raise RuntimeError("boom")

    await acked(harness.deps, read_command, answer, "command", "meet")(Ack(), BODY, {ACKED: True})
    assert harness.counted == [("command", "unexpected")]
    assert messages.SORRY in harness.slack.posted[0][1]["text"]


async def test_work_cancelled_by_the_shutdown_tells_the_person(make_deps: MakeDeps) -> None:
    harness = make_deps()
    started = asyncio.Event()

    async def answer(request: Any, deps: Deps) -> list[Reply]:
        started.set()
        await asyncio.Event().wait()
        return []

    listener = acked(harness.deps, read_command, answer, "command", "meet")
    task = asyncio.ensure_future(listener(Ack(), BODY, {ACKED: True}))
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert [m["text"] for _, m in harness.slack.posted] == [messages.RESTARTED]
