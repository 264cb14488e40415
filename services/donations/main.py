"""Composition root of the donations service."""

from __future__ import annotations

from services.donations.api import router
from services.donations.application import DonationsApplication
from services.donations.jobs import jobs
from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy.application import PrivacyVault

SOURCE = "donations"


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    application = DonationsApplication(event_store_env(settings, SOURCE), vault=vault, clock=clock)
    return Service(name=SOURCE, application=application, router=router,
                   jobs=jobs(application, vault))
