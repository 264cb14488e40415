"""Composition root of the projections: which read models exist, and their routes.
Where each lives (its live version) is the kernel catalog's business."""

from __future__ import annotations

from services.kernel.catalog import ReadStores
from services.kernel.eventstore import ServiceApplication, event_store_env
from services.kernel.feed import EventFeed
from services.kernel.readmodel import Projection
from services.kernel.settings import Settings
from services.privacy import trail as access_trail
from services.projections import (
    board,
    call_stats,
    campaign_progress,
    catalogue,
    desk,
    directory,
    ledger,
    overdue,
    regular,
    roster,
    transparency,
    volunteer_hours,
)
from services.projections.api import router

PROJECTIONS: tuple[Projection, ...] = (
    roster.PROJECTION, volunteer_hours.PROJECTION, call_stats.PROJECTION, directory.PROJECTION,
    ledger.PROJECTION, transparency.PROJECTION, campaign_progress.PROJECTION, catalogue.PROJECTION,
    access_trail.PROJECTION, board.PROJECTION, desk.PROJECTION,
    regular.PROJECTION,  # regular giving
    overdue.PROJECTION,  # gifts
)



def build(settings: Settings) -> ReadStores:
    """The read models' stores, each on its live version."""
    return ReadStores(settings, PROJECTIONS)


def source_feed(settings: Settings, source: str) -> EventFeed:
    """A reader of one service's event store, for commands that replay it outside a running product; the
    caller closes `feed.application`."""
    return EventFeed(source, ServiceApplication(event_store_env(settings, source)))


__all__ = ["PROJECTIONS", "build", "router", "source_feed"]
