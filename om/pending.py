"""Where the pool keeps the SIDs behind links not clicked yet, until their TTL ends or they are opened.

The pool asks ``due()`` on each run of its job, pings each SID it gets (any SOAP call refreshes it in OM), then says
``refreshed``. ``MemoryPendingLinks`` keeps them in this process; a store shared by several processes (the bot's
Redis one) lets one process at a time answer ``due()``, so each SID is kept alive once, by whichever process is up.
No method raises: a store that can't reach its backend keeps what it must in memory and says so in its own log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PendingLink:
    sid: str
    room_id: int | None
    # The person's external id: only their own click lets the link go.
    owner: str


class PendingLinks(Protocol):
    async def put(self, link_id: str, link: PendingLink, *, lifetime: float, due_in: float) -> None:
        """Keeps ``link`` for ``lifetime`` seconds; it is due for a refresh in ``due_in`` seconds."""
        ...

    async def pop(self, link_id: str, owner: str | None = None) -> bool:
        """Lets the link go (only if it is ``owner``'s, when given); False when there was none."""
        ...

    async def due(self) -> list[tuple[str, PendingLink]]:
        """The links whose refresh is due, for this caller to refresh; expired links are dropped."""
        ...

    async def refreshed(self, link_id: str, due_in: float) -> None:
        """The link's SID was refreshed just now; it is due again in ``due_in`` seconds."""
        ...

    @property
    def count(self) -> int:
        """How many links are kept, as last seen (for /healthz and the metrics)."""
        ...


@dataclass(slots=True)
class _Entry:
    link: PendingLink
    expires: float
    due_at: float


class MemoryPendingLinks:
    """This process's own links, on the pool's clock."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._links: dict[str, _Entry] = {}

    async def put(self, link_id: str, link: PendingLink, *, lifetime: float, due_in: float) -> None:
        now = self._clock()
        self._links[link_id] = _Entry(link, now + lifetime, now + due_in)

    async def pop(self, link_id: str, owner: str | None = None) -> bool:
        entry = self._links.get(link_id)
        if entry is None or (owner is not None and entry.link.owner != owner):
            return False
        del self._links[link_id]
        return True

    async def due(self) -> list[tuple[str, PendingLink]]:
        now = self._clock()
        for link_id in [k for k, entry in self._links.items() if entry.expires <= now]:
            del self._links[link_id]
        return [(k, entry.link) for k, entry in self._links.items() if entry.due_at <= now]

    async def refreshed(self, link_id: str, due_in: float) -> None:
        entry = self._links.get(link_id)
        if entry is not None:
            entry.due_at = self._clock() + due_in

    def __contains__(self, link_id: str) -> bool:
        return link_id in self._links

    def take_all(self) -> list[tuple[str, PendingLink, float, float]]:
        """Empties the store: (id, link, seconds left to live, seconds until due) of each live link."""
        now = self._clock()
        left = [(k, e.link, e.expires - now, max(0.0, e.due_at - now)) for k, e in self._links.items()]
        self._links.clear()
        return [item for item in left if item[2] > 0]

    @property
    def count(self) -> int:
        return len(self._links)
