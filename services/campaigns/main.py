"""Composition root of the campaigns service: application, due-queue store, dialer, reactions, jobs."""

from __future__ import annotations

from services.campaigns.api import router
from services.campaigns.application import CampaignsApplication
from services.campaigns.jobs import jobs
from services.campaigns.phones import PersonIds
from services.campaigns.reactions import calls_reaction
from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.readmodel import open_store
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy.application import PrivacyVault

SOURCE = "campaigns"


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    application = CampaignsApplication(
        event_store_env(settings, SOURCE), vault=vault, queue_store=open_store(settings, "campaigns_queue"),
        person_ids=PersonIds(secret(settings, "person_key")), clock=clock,
        telephony=settings.telephony,
    )
    return Service(name=SOURCE, application=application, router=router, reactions=(calls_reaction(application),),
                   jobs=jobs(application),
                   subject_records=application.subject_records)
