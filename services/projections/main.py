"""Composition root of the projections: which read models exist, where they live, and their routes."""

from __future__ import annotations

from services.kernel.readmodel import Projection, ReadStore, open_store
from services.kernel.settings import Settings
from services.projections import call_stats, directory, ledger, roster, transparency, volunteer_hours
from services.projections.api import router

PROJECTIONS: tuple[Projection, ...] = (
    roster.PROJECTION, volunteer_hours.PROJECTION, call_stats.PROJECTION, directory.PROJECTION,
    ledger.PROJECTION, transparency.PROJECTION,
)

__all__ = ["PROJECTIONS", "open_stores", "router"]


def open_stores(settings: Settings) -> dict[str, ReadStore]:
    return {p.name: open_store(settings, f"projection_{p.name}") for p in PROJECTIONS}
