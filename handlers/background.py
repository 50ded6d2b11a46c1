"""Work a listener starts after its ack, tracked so that shutdown can let it finish.

Listeners ack, hand the rest to ``Background.spawn`` and return, so Bolt (run with
``process_before_response=True``) sends the ack at once instead of polling for it every 10 ms.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: unexpected failure", task.get_name(), exc_info=task.exception())

    async def drain(self, grace: float) -> int:
        """Waits up to ``grace`` s for the work in flight, then cancels what is left; returns how many."""
        if not self._tasks:
            return 0
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            log.warning("shutdown: %d answers were still in flight and were cancelled", len(pending))
        return len(pending)
