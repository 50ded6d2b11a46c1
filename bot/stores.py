"""Where the state that outlives a request is kept: in this process's memory (one process needs nothing more), or,
with ``REDIS_URL``, in Redis for every process of the bot (``bot/redis_store.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.access import RateLimiter
from handlers.deps import Limiter, RecentRooms, Shares, SpentLinks, Throttle
from handlers.shares import ShareStore
from om.pending import PendingLinks

from .config import Config
from .health import StoreHealth
from .memory_store import MemoryRecentRooms, MemorySpentLinks, MemoryThrottle
from .redis_store import (
    RedisPendingLinks,
    RedisRateLimiter,
    RedisRecentRooms,
    RedisShares,
    RedisSpentLinks,
    RedisStore,
    RedisThrottle,
    Sealer,
    connect,
)


@dataclass(slots=True)
class Stores:
    spent: SpentLinks
    limiter: Limiter
    shares: Shares
    recent: RecentRooms
    # views.publish of one person's Home tab at most once in this window.
    home_throttle: Throttle
    # None: the pool keeps its pending links in its own memory.
    pending: PendingLinks | None = None
    redis: RedisStore | None = None

    @property
    def kind(self) -> str:
        return "memory" if self.redis is None else "redis"

    async def check(self) -> None:
        """The scheduler's job: checks Redis, so /healthz knows even when nobody asks."""
        if self.redis is not None:
            await self.redis.probe()

    async def latest(self, wait: float) -> StoreHealth:
        if self.redis is None:
            return StoreHealth("memory")
        return await self.redis.latest(wait)

    async def close(self) -> None:
        if isinstance(self.pending, RedisPendingLinks):
            await self.pending.close()
        if self.redis is not None:
            await self.redis.close()


def keepalive_lease(session_timeout: float) -> float:
    """How long the process keeping pending links alive holds the lease: two pool intervals (a sixth of the session
    timeout, at most a minute), so that it keeps it from run to run, and another process takes over soon enough
    when it dies (at most about five sixths of the session timeout after a link's last refresh)."""
    return min(120.0, session_timeout / 3)


def build_stores(config: Config, observe: Callable[[str, float, str | None], None] | None = None) -> Stores:
    limiter = RateLimiter(config.rate_limit)
    shares = ShareStore()
    recent, throttle = MemoryRecentRooms(), MemoryThrottle(config.home_refresh)
    if not config.redis_url:
        return Stores(MemorySpentLinks(config.join_link_ttl), limiter, shares, recent, throttle)
    client = connect(config.redis_url, ca_bundle=config.redis_ca_bundle, verify_tls=config.redis_verify_tls)
    store = RedisStore(client, config.redis_prefix, observe=observe)
    sealer = Sealer(config.redis_secret)
    # With PUBLIC_URL no SID waits for a click: there are no pending links to share.
    lease = keepalive_lease(config.session_timeout)
    pending = None if config.public_url else RedisPendingLinks(store, sealer, lease_ttl=lease)
    return Stores(
        RedisSpentLinks(store, config.join_link_ttl),
        RedisRateLimiter(store, limiter),
        RedisShares(store, sealer, shares),
        RedisRecentRooms(store, recent),
        RedisThrottle(store, throttle, config.home_refresh),
        pending,
        store,
    )
