"""Composition root of the donations service."""

from __future__ import annotations

from fastapi import APIRouter

from services.donations.api import router
from services.donations.application import DonationsApplication
from services.donations.commitments_api import router as commitments_router
from services.donations.jobs import jobs
from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy.application import PrivacyVault

SOURCE = "donations"
# The donations routes and, beside them, regular giving's.
ROUTES = APIRouter()
ROUTES.include_router(router)
ROUTES.include_router(commitments_router)


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    application = DonationsApplication(event_store_env(settings, SOURCE), vault=vault, clock=clock)
    return Service(name=SOURCE, application=application, router=ROUTES,
                   jobs=jobs(application, vault, settings.regular_lapse_periods))
