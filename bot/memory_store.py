"""This process's own memory: the stores one process needs, and what the Redis ones fall back on.

A store here holds something for each person or each link, so the layout of an entry is what a crowd costs: a
``cachetools.TTLCache`` entry costs some 250 bytes beside its key and value (a link object and an ordered-dict node
for its expiry), which these stores, whose entries all live equally long or only need an order of use, do without.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from cachetools import TTLCache

from handlers.rooms import RoomRef

RECENT = 5
# People whose recent rooms are remembered; past that, those who joined a room longest ago are forgotten first.
RECENT_PEOPLE = 50_000
# How long Redis keeps a person's recent rooms since their last join (a process forgets them when it ends).
RECENT_TTL = 30 * 24 * 3600.0
# Rooms are few, but conversation rooms are one a conversation: the rooms kept once each for everyone's lists.
_ROOMS_SHARED = 10_000


class MemorySpentLinks:
    """The digests of the links spent, each kept for at least a link's lifetime (past it, its token is refused as
    expired anyway), in two sets: the one being filled, and the one before, dropped when a lifetime has passed.

    16 bytes in a set, about 90 bytes a link. Only a token this bot signed gets here, and /meet hands those out at
    the pace of its rate limit, so the sets need no bound of their own.
    """

    # This record lives as long as the process; a link made before it was spent on no other.
    epoch = ""

    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._since = clock()
        self._current: set[bytes] = set()
        self._older: set[bytes] = set()

    def _roll(self) -> None:
        passed = self._clock() - self._since
        if passed < self._ttl:
            return
        # Everything in the set before has been kept a lifetime at least; the current set goes on for one more.
        self._older = self._current if passed < 2 * self._ttl else set()
        self._current = set()
        self._since += (passed // self._ttl) * self._ttl

    async def claim(self, key: str, epoch: str) -> bool:
        self._roll()
        digest = bytes.fromhex(key)
        if digest in self._current or digest in self._older:
            return False
        self._current.add(digest)
        return True

    async def release(self, key: str) -> None:
        digest = bytes.fromhex(key)
        self._current.discard(digest)
        self._older.discard(digest)

    @property
    def count(self) -> int:
        self._roll()
        return len(self._current) + len(self._older)


class MemoryRecentRooms:
    """Each person's last rooms, newest first, for the most recent ``RECENT_PEOPLE`` people to join one."""

    def __init__(self, people: int = RECENT_PEOPLE) -> None:
        self._people = people
        self._rooms: OrderedDict[str, tuple[RoomRef, ...]] = OrderedDict()
        # One RoomRef a room for everyone's lists, not one for each join.
        self._shared: dict[RoomRef, RoomRef] = {}

    async def add(self, person: str, room: RoomRef) -> None:
        if len(self._shared) >= _ROOMS_SHARED:
            self._shared.clear()
        room = self._shared.setdefault(room, room)
        kept = [r for r in self._rooms.pop(person, ()) if r.room_id != room.room_id]
        self._rooms[person] = (room, *kept[: RECENT - 1])
        while len(self._rooms) > self._people:
            self._rooms.popitem(last=False)

    async def get(self, person: str) -> list[RoomRef]:
        return list(self._rooms.get(person, ()))


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
