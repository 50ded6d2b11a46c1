"""The APScheduler jobs: keep the OM session pool fresh, the public room list current, and the health state new.

Each process has its own scheduler. With several processes sharing Redis, the work that must happen once (keeping
unclicked links' SIDs alive, inside the pool's job) is coordinated by the lease in ``bot/redis_store.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.home_activity import HomeActivity
from handlers.home_view import HOME_ROOMS
from om import RoomDirectory, SessionPool
from om.rooms import COUNT_TTL, LIST_REFRESH

from .health import PROBE_INTERVAL, HealthWatch

POOL_JOB = "om-session-pool"
ROOMS_JOB = "om-room-list"
HEALTH_JOB = "om-health"
HOME_JOB = "om-home-counts"
STORE_JOB = "redis-health"


def build_scheduler(
    pool: SessionPool,
    rooms: RoomDirectory,
    health: HealthWatch,
    home: HomeActivity,
    store_check: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    now = datetime.now().astimezone()
    # The first pool run fills the pool at start-up.
    _every(scheduler, POOL_JOB, pool.maintain, pool.job_interval, first=now)
    _every(scheduler, ROOMS_JOB, rooms.refresh_quietly, LIST_REFRESH)
    _every(scheduler, HEALTH_JOB, health.probe, PROBE_INTERVAL, first=now)

    async def home_counts() -> None:
        # While people use the Home tab, its rooms' counts stay fresh, so opening it costs OM nothing.
        if home.in_use():
            listed, _ = rooms.cached_public_rooms()
            await rooms.counts_by_id([room.id for room in listed[:HOME_ROOMS]])

    _every(scheduler, HOME_JOB, home_counts, COUNT_TTL * 0.8)
    if store_check is not None:
        _every(scheduler, STORE_JOB, store_check, PROBE_INTERVAL, first=now)
    return scheduler


def _every(
    scheduler: AsyncIOScheduler,
    job_id: str,
    job: Callable[[], Awaitable[None]],
    seconds: float,
    first: datetime | None = None,
) -> None:
    # A slow OM must not stack runs up: one at a time, and missed runs fold into the next.
    scheduler.add_job(
        job,
        "interval",
        seconds=seconds,
        id=job_id,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        **({"next_run_time": first} if first is not None else {}),
    )
