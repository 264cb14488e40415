"""Composition root of the projections: which read models exist, and their routes.
Where each lives (its live version) is the kernel catalog's business."""

from __future__ import annotations

from services.kernel.readmodel import Projection
from services.privacy import trail as access_trail
from services.projections import (
    call_stats,
    campaign_progress,
    catalogue,
    directory,
    ledger,
    roster,
    transparency,
    volunteer_hours,
)
from services.projections.api import router

PROJECTIONS: tuple[Projection, ...] = (
    roster.PROJECTION, volunteer_hours.PROJECTION, call_stats.PROJECTION, directory.PROJECTION,
    ledger.PROJECTION, transparency.PROJECTION, campaign_progress.PROJECTION, catalogue.PROJECTION,
    access_trail.PROJECTION,
)

__all__ = ["PROJECTIONS", "router"]
