"""This process's own memory: the stores one process needs, and what the Redis ones fall back on."""

from __future__ import annotations

from cachetools import TTLCache

from handlers.rooms import RoomRef

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
