"""Waiting on a simulator's state: a condition notified on every change, never a sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def wait_for(changed: asyncio.Condition, predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Returns once ``predicate()`` holds; TimeoutError naming ``what`` after ``timeout`` seconds."""

    async def wait() -> None:
        async with changed:
            await changed.wait_for(predicate)

    try:
        await asyncio.wait_for(wait(), timeout)
    except TimeoutError:
        raise TimeoutError(f"{what}: condition not met within {timeout} s") from None
