"""Who may use the bot, and how often: workspaces, guests, and a per-person rate limit.

Every check here runs before any OM request, so a refused request costs OM nothing.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any


def is_guest(info: Mapping[str, Any] | None) -> bool:
    """Single- and multi-channel guests. Unknown (users.info failed) is not a guest: the person still gets in."""
    if not info:
        return False
    return info.get("is_restricted") is True or info.get("is_ultra_restricted") is True


def team_allowed(allowed: frozenset[str], team_id: str, enterprise_id: str | None) -> bool:
    return team_id in allowed or (enterprise_id is not None and enterprise_id in allowed)


class RateLimiter:
    """At most ``limit`` events per person in any ``window`` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._pruned = clock()

    def hit(self, key: str) -> float:
        """Records one event; returns 0 when allowed, else the seconds until the next one would be."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return max(0.001, events[0] + self.window - now)
        events.append(now)
        if now - self._pruned > self.window:
            # Everyone quiet for a whole window has nothing left to count: forget them.
            self._forget_idle(now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        self._pruned = now
        for key in [k for k, v in self._events.items() if not v or v[-1] <= now - self.window]:
            del self._events[key]
