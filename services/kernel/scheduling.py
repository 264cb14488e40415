"""Scheduled work: each service names its periodic jobs; one APScheduler runs them (never a job per contact)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler


@dataclass(frozen=True)
class Job:
    id: str
    run: Callable[[], object]
    every_seconds: float


def start_scheduler(jobs: Sequence[Job]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in jobs:
        scheduler.add_job(
            job.run, "interval", seconds=job.every_seconds, id=job.id, name=job.id,  # the logs name the job
            max_instances=1, coalesce=True, misfire_grace_time=max(1, int(job.every_seconds)),
        )
    scheduler.start()
    return scheduler
