"""Where the state that outlives a request is kept: in this process's memory (one process needs nothing more), or,
with ``REDIS_URL``, in Redis for every process of the bot (``bot/redis_store.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache

from handlers.access import RateLimiter
from handlers.deps import Limiter, Shares, SpentLinks
from handlers.rooms import RoomRef
from handlers.shares import ShareStore
from om.pending import PendingLinks

from .config import Config
from .health import StoreHealth
from .redis_store import (
    RedisPendingLinks,
    RedisRateLimiter,
    RedisShares,
    RedisSpentLinks,
    RedisStore,
    Sealer,
    connect,
)

RECENT = 5
# People whose recent rooms are remembered, and for how long since their last join.
RECENT_PEOPLE = 50_000
RECENT_TTL = 30 * 24 * 3600.0

# A spent link is remembered for as long as a link lives; past that its token is refused as expired anyway. The
# size only bounds memory under an absurd load: at the default rate limit it is far beyond what people can spend.
SPENT_LIMIT = 1_000_000


class MemorySpentLinks:
    # This record lives as long as the process; a link made before it was spent on no other.
    epoch = ""

    def __init__(self, ttl: float) -> None:
        self._spent: TTLCache[str, bool] = TTLCache(maxsize=SPENT_LIMIT, ttl=ttl)

    async def claim(self, key: str, epoch: str) -> bool:
        if key in self._spent:
            return False
        self._spent[key] = True
        return True

    async def release(self, key: str) -> None:
        self._spent.pop(key, None)


class MemoryRecentRooms:
    def __init__(self) -> None:
        self._rooms: TTLCache[str, list[RoomRef]] = TTLCache(maxsize=RECENT_PEOPLE, ttl=RECENT_TTL)

    async def add(self, person: str, room: RoomRef) -> None:
        kept = [r for r in self._rooms.get(person, []) if r.room_id != room.room_id]
        self._rooms[person] = [room, *kept][:RECENT]

    async def get(self, person: str) -> list[RoomRef]:
        return list(self._rooms.get(person, []))


class MemoryThrottle:
    """True once per key in ``seconds``; with 0, every time."""

    def __init__(self, seconds: float, size: int = 100_000) -> None:
        self._seconds = seconds
        self._seen: TTLCache[str, bool] = TTLCache(maxsize=size, ttl=max(seconds, 1e-9))

    async def first(self, key: str) -> bool:
        if self._seconds <= 0:
            return True
        if key in self._seen:
            return False
        self._seen[key] = True
        return True


@dataclass(slots=True)
class Stores:
    spent: SpentLinks
    limiter: Limiter
    shares: Shares
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
    if not config.redis_url:
        return Stores(MemorySpentLinks(config.join_link_ttl), limiter, shares)
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
        pending,
        store,
    )
