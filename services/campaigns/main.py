"""Composition root of the campaigns service: application, due-queue store, dialer, reactions, jobs."""

from __future__ import annotations

from services.campaigns.api import router
from services.campaigns.application import CALLS_REACTION, CampaignsApplication
from services.campaigns.dialer.leasing import Dialer
from services.campaigns.jobs import jobs
from services.campaigns.phones import PersonIds
from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.follower import Reaction
from services.kernel.readmodel import open_store
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy.application import PrivacyVault
from services.privacy.jobs import unsaved_people_job

SOURCE = "campaigns"


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    application = CampaignsApplication(
        event_store_env(settings, SOURCE), vault=vault, queue_store=open_store(settings, "campaigns_queue"),
        person_ids=PersonIds(secret(settings, "person_key")), clock=clock,
    )
    reaction = Reaction(CALLS_REACTION, application, ("calls",), application.on_calls_message)
    return Service(name=SOURCE, application=application, router=router, reactions=(reaction,),
                   jobs=(*jobs(application, Dialer(application)),
                         unsaved_people_job(SOURCE, application.vault, application.people_with_records)),
                   subject_records=application.subject_records)
