"""What rooms exist: looked up on the pool's lookup SID, cached, refreshed by the scheduler.

None of this is on the hot path of a ``/meet`` for a known room: a room by id, the
list of public rooms and a conversation's own room are all answered from memory
once seen, so the only OM request left there is the hash itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from .errors import OMError, OMNotFoundError, OMProtocolError
from .models import Room, RoomDefinition
from .pool import SessionPool

log = logging.getLogger(__name__)

ROOM_TYPES = ("CONFERENCE", "PRESENTATION", "INTERVIEW")
# A room looked up by id is trusted this long (a deleted room may get links that long).
ROOM_TTL = 300.0
MISSING_ROOM_TTL = 60.0
# The list of public rooms is refreshed by the scheduler this often, and fetched on
# demand only when it is more than twice as old (the scheduler stopped or OM was down).
LIST_REFRESH = 60.0
# "People in the room right now" may be this old.
COUNT_TTL = 15.0
COUNT_CONCURRENCY = 8


@dataclass(slots=True)
class _Entry:
    room: Room | None
    expires: float


def normalize(text: str) -> str:
    """Case- and accent-insensitive form: ``Équipe  Nord`` and ``equipe nord`` are the same."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def match_rooms(rooms: Iterable[Room], query: str) -> list[Room]:
    """Rooms named exactly ``query`` (normalised); failing that, those whose name holds every word of it."""
    wanted = normalize(query)
    if not wanted:
        return []
    rooms = list(rooms)
    exact = [r for r in rooms if normalize(r.name) == wanted]
    if exact:
        return exact
    words = wanted.split()
    return sorted(
        (r for r in rooms if all(word in normalize(r.name) for word in words)),
        key=lambda r: (normalize(r.name), r.id),
    )


class RoomDirectory:
    def __init__(self, pool: SessionPool, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = pool
        self._client = pool.client
        self._clock = clock
        self._by_id: dict[int, _Entry] = {}
        self._external: dict[tuple[str, str, str], _Entry] = {}
        self._listed: list[Room] | None = None
        self._listed_at = 0.0
        self._list_lock = asyncio.Lock()
        self._counts: dict[int, tuple[float, int]] = {}
        # A look-up by id on its way to OM: whoever needs the same room meanwhile waits for its answer.
        self._lookups: dict[int, asyncio.Task[_Entry]] = {}

    async def get(self, room_id: int, *, fresh: bool = False) -> Room:
        """A room by id; OMNotFoundError for one that does not exist. ``fresh`` asks OM even when it is cached (or
        shares the answer of a look-up already on its way to OM)."""
        now = self._clock()
        entry = self._by_id.get(room_id)
        if entry is None or entry.expires <= now or fresh:
            lookup = self._lookups.get(room_id)
            if lookup is None:
                # One request for a crowd (a rush on a room not yet seen, a wave of links opened at once).
                lookup = asyncio.get_running_loop().create_task(self._look_up(room_id))
                self._lookups[room_id] = lookup
                lookup.add_done_callback(lambda done: self._lookup_done(room_id, done))
            # Shielded: one caller that gives up does not cancel the answer the others wait for.
            entry = await asyncio.shield(lookup)
        if entry.room is None:
            raise OMNotFoundError(f"room {room_id} does not exist")
        return entry.room

    async def _look_up(self, room_id: int) -> _Entry:
        try:
            room: Room | None = await self._pool.with_admin(lambda sid: self._client.get_room(sid, room_id))
            entry = _Entry(room, self._clock() + ROOM_TTL)
        except OMNotFoundError:
            entry = _Entry(None, self._clock() + MISSING_ROOM_TTL)
        except OMProtocolError as exc:
            if exc.status != 404:
                raise
            # No room resource at all (a trimmed-down server or gateway): OM answers a missing room with a
            # 500, never a 404, so go on without the name; the hash request will tell if OM is there at all.
            entry = _Entry(Room(room_id, ""), self._clock() + MISSING_ROOM_TTL)
        self._by_id[room_id] = entry
        return entry

    def _lookup_done(self, room_id: int, lookup: asyncio.Task[_Entry]) -> None:
        if self._lookups.get(room_id) is lookup:
            del self._lookups[room_id]
        if not lookup.cancelled():
            lookup.exception()  # seen by every caller still waiting; retrieved here for those who gave up

    async def public_rooms(self) -> list[Room]:
        """Every public room of every type, sorted by name."""
        if self._listed is None or self._clock() - self._listed_at > 2 * LIST_REFRESH:
            await self.refresh()
        return list(self._listed or [])

    def cached_public_rooms(self) -> tuple[list[Room], float | None]:
        """The public rooms as last fetched, and how many seconds ago (None: never), without asking OM."""
        if self._listed is None:
            return [], None
        return list(self._listed), self._clock() - self._listed_at

    def cached_counts(self, room_ids: Iterable[int]) -> dict[int, int | None]:
        """People in each room as last counted, where that count is still fresh; None elsewhere. Asks OM nothing."""
        now = self._clock()
        found = {room_id: self._counts.get(room_id) for room_id in room_ids}
        return {room_id: (entry[1] if entry and entry[0] > now else None) for room_id, entry in found.items()}

    async def find(self, name: str) -> list[Room]:
        return match_rooms(await self.public_rooms(), name)

    async def refresh(self) -> None:
        """Reloads the public room list (the scheduler's job; on demand when it is stale)."""
        async with self._list_lock:
            if self._listed is not None and self._clock() - self._listed_at < LIST_REFRESH / 2:
                return  # someone refreshed it while we waited for the lock
            rooms: list[Room] = []
            for room_type in ROOM_TYPES:
                rooms.extend(await self._pool.with_admin(self._lister(room_type)))
            rooms.sort(key=lambda r: (normalize(r.name), r.id))
            self._listed, self._listed_at = rooms, self._clock()
            now = self._clock()
            for room in rooms:
                self._by_id[room.id] = _Entry(room, now + ROOM_TTL)
            self._drop_expired(now)

    async def refresh_quietly(self) -> None:
        try:
            await self.refresh()
        except OMError as exc:
            log.warning("om rooms: refresh failed: %s", exc)

    async def counts_by_id(self, room_ids: Iterable[int]) -> dict[int, int | None]:
        """People in each room now (None where OM could not say); fetched a few at a time, briefly cached."""
        now = self._clock()
        result: dict[int, int | None] = {}
        missing: list[int] = []
        for room_id in room_ids:
            cached = self._counts.get(room_id)
            if cached is not None and cached[0] > now:
                result[room_id] = cached[1]
            else:
                missing.append(room_id)
        slots = asyncio.Semaphore(COUNT_CONCURRENCY)

        async def one(room_id: int) -> None:
            async with slots:
                try:
                    count = await self._pool.with_admin(lambda sid: self._client.room_count(sid, room_id))
                except OMError:
                    result[room_id] = None
                    return
                self._counts[room_id] = (self._clock() + COUNT_TTL, count)
                result[room_id] = count

        await asyncio.gather(*(one(room_id) for room_id in missing))
        return result

    async def external(self, external_type: str, external_id: str, definition: RoomDefinition) -> Room:
        """The room OM keeps for an external key, created on first use. OM holds the mapping, so it
        survives a restart of the bot; the cache only saves the look-up."""
        key = ("CONFERENCE", external_type, external_id)
        entry = self._external.get(key)
        if entry is None or entry.room is None or entry.expires <= self._clock():
            room = await self._pool.with_admin(
                lambda sid: self._client.external_room(sid, key[0], external_type, external_id, definition)
            )
            entry = _Entry(room, self._clock() + ROOM_TTL)
            self._external[key] = entry
            self._by_id[room.id] = entry
        assert entry.room is not None
        return entry.room

    def _lister(self, room_type: str) -> Callable[[str], Awaitable[list[Room]]]:
        async def call(sid: str) -> list[Room]:
            return await self._client.public_rooms(sid, room_type)

        return call

    def _drop_expired(self, now: float) -> None:
        for room_id in [k for k, e in self._by_id.items() if e.expires <= now]:
            del self._by_id[room_id]
        for room_id in [k for k, (expires, _) in self._counts.items() if expires <= now]:
            del self._counts[room_id]
