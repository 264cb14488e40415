"""Composition root of the calls service."""

from __future__ import annotations

import logging

from services.calls import indexes
from services.calls.api import router
from services.calls.application import CallsApplication
from services.calls.jobs import jobs
from services.calls.telephony.switchboard import on_duty_once
from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy.application import PrivacyVault

SOURCE = "calls"
log = logging.getLogger(__name__)


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    application = CallsApplication(event_store_env(settings, SOURCE), vault=vault, clock=clock,
                                   join_key=secret(settings, "join_limit_key"), telephony=settings.telephony)
    done = indexes.backfill_once(application)  # shifts, calls and protocols stored before their indexes
    if done is not None:
        log.info("calls: indexes backfilled once for this store: %s", done)
    placed = on_duty_once(application)  # helpline volunteers clocked in before the switchboard existed
    if placed:
        log.info("calls: %d helpline volunteers clocked in before the switchboard put on duty", placed)
    return Service(name=SOURCE, application=application, router=router,
                   jobs=jobs(application, vault))
