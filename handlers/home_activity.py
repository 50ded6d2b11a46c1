"""When the Home tab was last opened: the scheduler keeps its rooms' counts fresh only while it is in use."""

from __future__ import annotations

import time

# While the Home tab was opened this recently, the scheduler keeps its rooms' counts fresh.
IN_USE = 300.0


class HomeActivity:
    """When the Home tab was last opened: the scheduler's job refreshes counts only while it is in use."""

    def __init__(self) -> None:
        self._last = float("-inf")

    def touch(self) -> None:
        self._last = time.monotonic()

    def in_use(self) -> bool:
        return time.monotonic() - self._last < IN_USE
