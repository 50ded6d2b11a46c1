"""Who may use the bot, and how often: workspaces, guests, and a per-person rate limit.

Every check here runs before any OM request, so a refused request costs OM nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import messages
from .payloads import Requester

if TYPE_CHECKING:
    from .deps import Deps
    from .payloads import ActionRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refusal:
    message: messages.Message
    outcome: str = "refused"


async def admit(deps: Deps, who: Requester, *, counts: bool, guests: bool) -> Refusal | None:
    """A refusal, or None. Runs before any OM request.

    ``counts``: the rate limit counts /meet commands that reach OM, which a script can send; clicks come only from
    people in Slack's own client. ``guests``: whether the guest rule applies (help is shown to anyone).
    """
    allowed = await allowed_teams(deps)
    if allowed is None:
        return Refusal(messages.error_message(messages.CANT_CHECK_WORKSPACE))
    if not team_allowed(allowed, who.team_id, who.enterprise_id):
        log.warning("meet: refused a request from another workspace team=%s", who.team_id)
        return Refusal(messages.error_message(messages.OTHER_WORKSPACE))
    if counts:
        wait = await deps.limiter.hit(who.external_id)
        if wait:
            return Refusal(messages.error_message(messages.too_fast(wait, deps.limiter.limit)))
    if guests and not deps.settings.allow_guests and is_guest(await deps.slack.user_info(who.user_id)):
        return Refusal(messages.error_message(messages.NO_GUESTS))
    return None


async def click_refusal(
    deps: Deps, request: ActionRequest, *, replace: bool = False
) -> list[messages.Reply] | None:
    """What a refused click answers (the message replacing the clicked one with ``replace``), or None: let it in.

    Clicks come only from people in Slack's own client, so they are not rate limited; the guest rule applies."""
    refusal = await admit(deps, request.who, counts=False, guests=True)
    if refusal is None:
        return None
    message = messages.replacing(refusal.message) if replace else refusal.message
    return [messages.Reply(request.response_url, message, refusal.outcome)]


async def allowed_teams(deps: Deps) -> frozenset[str] | None:
    """SLACK_ALLOWED_TEAMS, else the bot's own workspace (and Grid org); None while Slack can't say."""
    if deps.settings.allowed_teams:
        return deps.settings.allowed_teams
    own = await deps.slack.own_team()
    return None if own is None else frozenset(x for x in own if x)


def is_guest(info: Mapping[str, Any] | None) -> bool:
    """Single- and multi-channel guests. Unknown (users.info failed) is not a guest: the person still gets in."""
    if not info:
        return False
    return info.get("is_restricted") is True or info.get("is_ultra_restricted") is True


def team_allowed(allowed: frozenset[str], team_id: str, enterprise_id: str | None) -> bool:
    return team_id in allowed or (enterprise_id is not None and enterprise_id in allowed)


class RateLimiter:
    """At most ``limit`` events per person in any ``window`` seconds, as a sliding-window counter.

    Two counts per person (this window and the last, weighted by how much of it still overlaps) keep the
    state to a small int per active person, so a crowd of thousands costs next to nothing. This one counts in
    this process; ``bot/redis_store.py`` keeps the same count in Redis for every process of the bot.
    """

    def __init__(self, limit: int, window: float = 60.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._start = clock()
        self._current: dict[str, int] = {}
        self._previous: dict[str, int] = {}

    async def hit(self, key: str) -> float:
        """Records one event; returns 0 when allowed, else the seconds until the next one would be."""
        return self.take(key)

    def take(self, key: str) -> float:
        """``hit``, for a caller that is not a coroutine."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        self._roll(now)
        elapsed = (now - self._start) / self.window
        previous = self._previous.get(key, 0)
        current = self._current.get(key, 0)
        if previous * (1 - elapsed) + current >= self.limit:
            if current >= self.limit:
                return max(0.001, self._start + self.window - now)
            # The last window's share fades linearly: wait until it has faded enough for one more.
            needed = 1 - (self.limit - current) / previous
            return max(0.001, (needed - elapsed) * self.window)
        self._current[key] = current + 1
        return 0.0

    def _roll(self, now: float) -> None:
        passed = int((now - self._start) // self.window)
        if passed <= 0:
            return
        self._previous = self._current if passed == 1 else {}
        self._current = {}
        self._start += passed * self.window
