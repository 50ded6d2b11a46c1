"""The work that runs after an ack: tracked from start to end, so a shutdown lets it finish (encode/uvicorn's
``Server.shutdown`` does the same for its connections)."""

from __future__ import annotations

import asyncio
import logging

from handlers.deps import Work

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Work, name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def running(self) -> int:
        return sum(1 for task in self._tasks if not task.done())

    async def drain(self, within: float) -> int:
        """Waits up to ``within`` seconds for the work still running, then cancels what is left; returns how many
        were cancelled. Work started by work still running (a dispatch starts its reply) is waited for too."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while pending := {task for task in self._tasks if not task.done()}:
            remaining = deadline - loop.time()
            if remaining <= 0:
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                return len(pending)
            await asyncio.wait(pending, timeout=remaining)
        return 0
