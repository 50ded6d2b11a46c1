"""Where the state that outlives a request is kept: in this process's memory (one process needs nothing more)."""

from __future__ import annotations

from cachetools import TTLCache

# A spent link is remembered for as long as a link lives; past that its token is refused as expired anyway. The
# size only bounds memory under an absurd load: at the default rate limit it is far beyond what people can spend.
SPENT_LIMIT = 1_000_000


class MemorySpentLinks:
    def __init__(self, ttl: float) -> None:
        self._spent: TTLCache[str, bool] = TTLCache(maxsize=SPENT_LIMIT, ttl=ttl)

    async def claim(self, key: str) -> bool:
        if key in self._spent:
            return False
        self._spent[key] = True
        return True

    async def release(self, key: str) -> None:
        self._spent.pop(key, None)
