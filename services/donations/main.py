"""Composition root of the donations service."""

from __future__ import annotations

from services.donations.api import router
from services.donations.application import DonationsApplication
from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.scheduling import Job
from services.kernel.settings import Settings
from services.kernel.vault import PrivacyVault
from services.kernel.wiring import Service

SOURCE = "donations"


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    application = DonationsApplication(event_store_env(settings, SOURCE), vault=vault, clock=clock)
    # Personal data of donors an interrupted import stored but never saved does not stay (see the vault).
    sweep = Job("donations.unsaved_donors", application.sweep_unsaved_donors, every_seconds=600)
    return Service(name=SOURCE, application=application, router=router, jobs=(sweep,))
