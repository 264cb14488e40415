"""Composition root of the donations service."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from services.donations import donor_index, subject_records
from services.donations.api import router
from services.donations.application import DonationsApplication
from services.donations.commitments_api import router as commitments_router
from services.donations.jobs import jobs
from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy.application import PrivacyVault

SOURCE = "donations"
log = logging.getLogger(__name__)
# The donations routes and, beside them, regular giving's.
ROUTES = APIRouter()
ROUTES.include_router(router)
ROUTES.include_router(commitments_router)


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    application = DonationsApplication(event_store_env(settings, SOURCE), vault=vault, clock=clock,
                                       search_key=secret(settings, "donor_search_key"))
    done = donor_index.backfill_once(application)  # donors and pledges stored before their indexes
    if done is not None:
        log.info("donations: donor indexes backfilled once for this store: %s", done)
    return Service(name=SOURCE, application=application, router=ROUTES,
                   jobs=jobs(application, vault, settings.regular_lapse_periods),
                   subject_records=lambda person_id: subject_records.of_person(application, person_id))
