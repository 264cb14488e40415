"""Scheduled work of the calls service: the sweep of the people it put in the vault but never saved."""

from __future__ import annotations

from services.calls.application import CallsApplication
from services.kernel.scheduling import Job
from services.privacy.application import PrivacyVault
from services.privacy.jobs import unsaved_people_job


def jobs(application: CallsApplication, vault: PrivacyVault) -> tuple[Job, ...]:
    wrap_up = Job("calls-telephony-wrap-up", application.telephony.sweep, every_seconds=60)
    return (unsaved_people_job(application.name, vault, application.existing),
            *((wrap_up,) if application.telephony.settings.enabled else ()))
