"""Composition root of the mail service: application, routes, jobs. The campaigns port is wired by services.main."""

from __future__ import annotations

from dataclasses import replace

from services.kernel.clock import Clock
from services.kernel.eventstore import event_store_env
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.mail import people
from services.mail.api import router
from services.mail.application import MailApplication
from services.mail.jobs import jobs
from services.mail.thanks_jobs import jobs as thanks_jobs
from services.mail.thanks_reactions import donations_reaction
from services.privacy.application import PrivacyVault

SOURCE = "mail"


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    mail = settings.mail if settings.mail.outbox else replace(settings.mail, outbox=settings.data_dir / "outbox")
    application = MailApplication(event_store_env(settings, SOURCE), vault=vault, settings=mail,
                                  token_key=secret(settings, "mail_token_key"), charity=settings.charity, clock=clock)
    application.runner.enabled = settings.run_jobs
    return Service(name=SOURCE, application=application, router=router,
                   jobs=(*jobs(application), *thanks_jobs(application)),  # the thank-yous' daily batch
                   reactions=(donations_reaction(application),),
                   subject_records=lambda person_id: people.subject_records(application, person_id))
