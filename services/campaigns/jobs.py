"""Scheduled work of the campaigns service: one periodic sweep, never one job per campaign or contact."""

from __future__ import annotations

import logging

from services.campaigns.application import CampaignsApplication
from services.campaigns.dialer.leasing import Dialer
from services.kernel.scheduling import Job

log = logging.getLogger(__name__)


def sweep(application: CampaignsApplication, dialer: Dialer) -> dict[str, int]:
    """Return lapsed leases to the queue and complete campaigns past their end date."""
    expired = dialer.expire_leases()
    completed = application.complete_ended_campaigns()
    if expired or completed:
        log.info("campaigns sweep: %d leases expired, %d campaigns completed", expired, completed)
    return {"expired": expired, "completed": completed}


def jobs(application: CampaignsApplication, dialer: Dialer, every_seconds: float = 30) -> tuple[Job, ...]:
    return (Job("campaigns.sweep", lambda: sweep(application, dialer), every_seconds),)
