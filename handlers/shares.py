"""Remembers, for a "Share in channel" button, the response_url of the command it came from.

Posting the invitation through the command's own response_url (``in_channel``)
works even where the bot is not a member of the channel. Slack honours a
response_url for 30 minutes, so entries live that long; after that (or after a
restart, without a shared store) the click's own response_url serves instead.
This one is in memory; ``bot/redis_store.py`` shares them between processes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

RESPONSE_URL_LIFETIME = 30 * 60.0
_LIMIT = 10_000


class ShareStore:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._urls: OrderedDict[str, tuple[float, str]] = OrderedDict()

    async def add(self, share_id: str, response_url: str) -> None:
        """Remembers ``response_url`` under ``share_id`` (the id of the link it was answered with)."""
        now = self._clock()
        self._urls[share_id] = (now + RESPONSE_URL_LIFETIME, response_url)
        # Entries are kept in the order they expire: drop the expired ones from the front.
        while self._urls:
            oldest = next(iter(self._urls.values()))
            if oldest[0] > now and len(self._urls) <= _LIMIT:
                break
            self._urls.popitem(last=False)

    async def get(self, share_id: str) -> str | None:
        entry = self._urls.get(share_id)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._urls[share_id]
            return None
        return entry[1]
