"""Composition root of the donations service."""

from __future__ import annotations

import logging

from services.donations import donor_index
from services.donations.api import router
from services.donations.application import DonationsApplication
from services.donations.jobs import jobs
from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy.application import PrivacyVault

SOURCE = "donations"
log = logging.getLogger(__name__)


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    application = DonationsApplication(event_store_env(settings, SOURCE), vault=vault, clock=clock,
                                       search_key=secret(settings, "donor_search_key"))
    done = donor_index.backfill_once(application)  # donors and pledges stored before their indexes
    if done is not None:
        log.info("donations: donor indexes backfilled once for this store: %s", done)
    return Service(name=SOURCE, application=application, router=router,
                   jobs=jobs(application, vault))
