"""Acks before the work behind them: the dispatch of an early-acked request waits for its turn here.

asyncio runs whatever is ready in the order it became ready, so without this the dispatches of a burst's first acks
(Bolt's middleware, the listener, its Slack and OM calls: a millisecond or more each) run between the reads of its
last requests, and those acks wait for all of them. Here the work starts only once acks pause for ``quiet`` seconds,
and then one piece per turn of the event loop, so the loop polls its sockets between two starts and a request read
meanwhile is acked first. The oldest work waits ``max_wait`` at most: past that, starts go on one per turn even while
acks keep coming (a steady stream never starves the work, and each ack waits behind one start at most).

The garbage collector waits with the work: from the first ack of a burst until the first work starts, automatic
collection is off (``gc.disable``), so a full collection (tens of milliseconds with a process's worth of objects)
is not what the burst's last acks wait for; it runs, if due, once the work starts, ``max_wait`` later at most.

No package does this: asyncio has no priorities, and the work is Bolt's dispatch, which must stay a plain task of its
own (tracked and drained on shutdown by ``bot.background``), so it only waits for its turn here.
"""

from __future__ import annotations

import asyncio
import gc
from collections import deque

# A wave of 100 requests reaches the server in several reads over a few milliseconds; 3 ms without one ends it.
QUIET = 0.003
MAX_WAIT = 0.02


class Pacer:
    def __init__(self, *, quiet: float = QUIET, max_wait: float = MAX_WAIT) -> None:
        self._quiet = quiet
        self._max_wait = max_wait
        self._last_ack = float("-inf")
        self._waiting: deque[tuple[float, asyncio.Future[None]]] = deque()
        self._runner: asyncio.Task[None] | None = None
        self._gc_held: asyncio.TimerHandle | None = None

    def acked(self) -> None:
        """An ack went out: work waiting holds back for another ``quiet`` seconds, and so does the collector."""
        loop = asyncio.get_running_loop()
        self._last_ack = loop.time()
        if self._gc_held is None and gc.isenabled():
            gc.disable()
            # Given back when the first work starts, or after twice max_wait whatever happens to the work.
            self._gc_held = loop.call_later(2 * self._max_wait, self._release_gc)

    def _release_gc(self) -> None:
        if self._gc_held is not None:
            self._gc_held.cancel()
            self._gc_held = None
            gc.enable()

    @property
    def waiting(self) -> int:
        return sum(1 for _, future in self._waiting if not future.done())

    async def turn(self) -> None:
        """Returns when the caller's work may start (first come, first started)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._waiting.append((loop.time(), future))
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._run(), name="pacer")
        await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            queued_at, future = self._waiting[0]
            if future.done():  # its work was cancelled while it waited (a shutdown)
                self._waiting.popleft()
                continue
            now = loop.time()
            hold = min(self._quiet - (now - self._last_ack), self._max_wait - (now - queued_at))
            if hold > 0:
                await asyncio.sleep(hold)
                continue
            self._waiting.popleft()
            self._release_gc()
            future.set_result(None)
            # The next start comes a turn later, after the loop has polled its sockets (and acked what came in).
            await asyncio.sleep(0)
