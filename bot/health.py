"""``/healthz``: what the background work last saw, answered at once whatever OpenMeetings does.

A platform's probe gives up after 1-2 s (Kubernetes' default is 1 s), so the answer never waits on OM for long: each
request starts a check of OM unless one is under way, and a check gives OM ``CHECK_TIMEOUT`` seconds at most (a
hanging or slow OM counts as not answering). A request waits for that check at most ``WAIT`` seconds and otherwise
reports the last one that ended, with its age. The scheduler checks every ``PROBE_INTERVAL`` seconds as well, so the
state is fresh when nobody asks; one older than ``STALE`` seconds counts as unhealthy (the checks stopped).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from om import OMClient, OMError, PoolStatus

PROBE_INTERVAL = 15.0
STALE = 3 * PROBE_INTERVAL
CHECK_TIMEOUT = 0.8
WAIT = 0.9


@dataclass(frozen=True, slots=True)
class StoreHealth:
    """Where the shared state is kept: ``kind`` "memory" or "redis"; ``problem`` None while Redis answers."""

    kind: str
    problem: str | None = None


MEMORY = StoreHealth("memory")


@dataclass(frozen=True, slots=True)
class Seen:
    at: float
    openmeetings: str  # "ok", "not ready" or "unreachable"
    problem: str | None


class HealthWatch:
    """The latest check of OpenMeetings (``/info/health``, which needs no SID), one check at a time."""

    def __init__(
        self, om: OMClient, *, timeout: float = CHECK_TIMEOUT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._om = om
        self._timeout = timeout
        self._clock = clock
        self._check: asyncio.Task[None] | None = None
        self.seen: Seen | None = None

    async def probe(self) -> None:
        """Checks OM now, or waits for the check under way (the scheduler's job)."""
        await asyncio.shield(self._start())

    async def latest(self, wait: float = WAIT) -> Seen | None:
        """Starts a check unless one is under way, waits up to ``wait`` for it, and returns the newest result."""
        check = self._start()
        if not check.done():
            await asyncio.wait({check}, timeout=wait)
        return self.seen

    def _start(self) -> asyncio.Task[None]:
        if self._check is None or self._check.done():
            self._check = asyncio.get_running_loop().create_task(self._run(), name="health-check")
        return self._check

    async def _run(self) -> None:
        try:
            health = await asyncio.wait_for(self._om.health(), self._timeout)
        except OMError as exc:
            self.seen = Seen(self._clock(), "unreachable", str(exc))
            return
        except TimeoutError:
            silent = f"OpenMeetings is not reachable: no answer to a health check within {self._timeout:g} s"
            self.seen = Seen(self._clock(), "unreachable", silent)
            return
        problem = None if health.ok else "OpenMeetings reports it is not ready (inited/installed/dbOk)"
        self.seen = Seen(self._clock(), "ok" if health.ok else "not ready", problem)

    async def close(self) -> None:
        if self._check is not None and not self._check.done():
            self._check.cancel()
            await asyncio.gather(self._check, return_exceptions=True)


def verdict(
    seen: Seen | None,
    now: float,
    pool: PoolStatus,
    slack_errors: int,
    slack_problem: str | None,
    socket_connected: bool | None,
    store: StoreHealth = MEMORY,
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) from what was last seen. Pure. Never a secret: OM errors and pool errors carry none,
    nor do Redis's (never its URL)."""
    body: dict[str, Any] = {
        "pool": {"fresh": pool.fresh, "target": pool.target, "peak": pool.peak, "links": pool.links}
    }
    problems: list[str] = []
    body["store"] = store.kind
    degraded: list[str] = []
    if store.kind == "redis":
        body["redis"] = "unreachable" if store.problem else "ok"
        if store.problem:
            # Reported, not failed on: /meet is still answered, and a restart would not bring Redis back but would
            # lose what this process keeps in memory until it is back.
            degraded.append(f"{store.problem} (REDIS_URL); the bot carries on with what it can do without it")
    if seen is None:
        body["openmeetings"] = "unknown"
        problems.append("OpenMeetings has not answered a health check yet")
    else:
        age = max(0.0, now - seen.at)
        body["openmeetings"] = seen.openmeetings
        body["checked_seconds_ago"] = round(age, 1)
        if seen.problem:
            problems.append(seen.problem)
        if age > STALE:
            problems.append(f"OpenMeetings has not answered a health check for {age:.0f} s")
    # Slack trouble is reported, not failed on: restarting the bot would not fix Slack.
    body["slack_api"] = {"errors": slack_errors, "recent_problem": slack_problem}
    if socket_connected is not None:
        body["slack"] = "connected" if socket_connected else "not connected"
        if not socket_connected:
            problems.append("not connected to Slack over Socket Mode (check SLACK_APP_TOKEN; the log says more)")
    if pool.auth_blocked_for > 0:
        problems.append(pool.last_error or "OpenMeetings refused the bot's login")
    elif pool.fresh == 0 and pool.last_error:
        problems.append(pool.last_error)
    elif pool.fresh == 0 and pool.logins == 0:
        # A burst may drain the pool for a moment; that is busy, not broken.
        problems.append("no OpenMeetings session is ready yet")
    if problems:
        body["status"] = "unhealthy"
        body["reason"] = "; ".join(problems + degraded)
        return 503, body
    if degraded:
        body["status"] = "degraded"
        body["reason"] = "; ".join(degraded)
        return 200, body
    body["status"] = "ok"
    return 200, body
