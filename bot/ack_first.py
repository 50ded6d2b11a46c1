"""Acks first: while Slack requests are being acked, the work behind earlier acks waits its turn.

Slack's deadline is on the ack (3 s, or the person sees "operation_timeout"), not on the reply. The work after an
ack (Bolt's dispatch, then the Slack and OM calls and what their answers start) runs on the same event loop as the
acks still to be sent, so when a hundred people run /meet at once, the work of the first ones runs between their
acks and the last ones'. Two holds keep it out of the way, each released once no ack has gone out for ``quiet``
seconds and never later than ``max_wait``:

- ``hand_over``: the work an early ack starts;
- ``after_acks``: awaited by the HTTP transport before it hands an answer back, so a login or hash answering in
  the middle of a burst is read after the burst's acks.

With no ack in the last ``quiet`` seconds, neither waits; a lone /meet waits ``quiet`` (1 ms) for its work to start.
README, Performance, "burst", has the figures.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from typing import Any

Work = Coroutine[Any, Any, None]

# Set while Bolt dispatches a request whose ack the server already sent: its listener may then do its work in
# place, rather than start a task of its own for it.
ACKED: ContextVar[bool] = ContextVar("acked", default=False)

QUIET = 0.003
MAX_WAIT = 0.02


class AckFirst:
    def __init__(self, *, quiet: float = QUIET, max_wait: float = MAX_WAIT) -> None:
        # How held work is started; set by the owner (Context), whose spawn() tracks it for the shutdown drain.
        self.start: Callable[[Work, str], None] | None = None
        self._quiet = quiet
        self._max_wait = max_wait
        self._held: list[tuple[Work, str]] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._first = 0.0
        self._last_ack = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def hand_over(self, work: Work, name: str) -> None:
        """Called right after an ack went out; ``work`` starts within ``max_wait``."""
        now = time.monotonic()
        if not self.held:
            self._first = now
        self._last_ack = now
        self._held.append((work, name))
        self._arm()

    async def after_acks(self) -> None:
        """Returns at once unless an ack went out in the last ``quiet`` seconds; then once acks pause."""
        now = time.monotonic()
        if now - self._last_ack >= self._quiet:
            return
        if not self.held:
            self._first = now
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._arm()
        await waiter

    def flush(self) -> None:
        """Releases everything held now (also at shutdown: drained work must have started)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        held, self._held = self._held, []
        waiters, self._waiters = self._waiters, []
        if held and self.start is None:
            raise RuntimeError("AckFirst.start is not set")
        for work, name in held:
            self.start(work, name)  # type: ignore[misc]
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    @property
    def held(self) -> int:
        return len(self._held) + len(self._waiters)

    def _arm(self) -> None:
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(min(self._quiet, self._max_wait), self._check)

    def _check(self) -> None:
        self._timer = None
        now = time.monotonic()
        quiet_for = now - self._last_ack
        waited = now - self._first
        if quiet_for >= self._quiet or waited >= self._max_wait:
            self.flush()
            return
        delay = min(self._quiet - quiet_for, self._max_wait - waited)
        self._timer = asyncio.get_running_loop().call_later(delay, self._check)
