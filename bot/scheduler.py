"""The APScheduler job that keeps the OM session pool fresh."""

from __future__ import annotations

from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from om import RoomDirectory, SessionPool
from om.rooms import LIST_REFRESH

JOB_ID = "om-session-pool"
ROOMS_JOB_ID = "om-room-list"


def build_scheduler(pool: SessionPool, rooms: RoomDirectory) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        pool.maintain,
        "interval",
        seconds=pool.job_interval,
        id=JOB_ID,
        # The first run fills the pool at start-up; a slow OM must not stack runs up.
        next_run_time=datetime.now().astimezone(),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        rooms.refresh_quietly,
        "interval",
        seconds=LIST_REFRESH,
        id=ROOMS_JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
