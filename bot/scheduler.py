"""The APScheduler job that keeps the OM session pool fresh."""

from __future__ import annotations

from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from om import SessionPool

JOB_ID = "om-session-pool"


def build_scheduler(pool: SessionPool) -> AsyncIOScheduler:
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
    return scheduler
