"""Scheduled work: each service names its periodic jobs; one APScheduler runs them (never a job per contact)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)


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
    # One line of ours instead of APScheduler's several per job (its INFO lines are quieted in kernel.logs).
    log.info("scheduler started; jobs: %s", ", ".join(f"{job.id} every {job.every_seconds:g} s" for job in jobs))
    return scheduler
