"""Scheduled work of the calls service: the sweep of the people it put in the vault but never saved."""

from __future__ import annotations

from services.calls.application import CallsApplication
from services.kernel.scheduling import Job
from services.privacy.application import PrivacyVault
from services.privacy.jobs import unsaved_people_job


def jobs(application: CallsApplication, vault: PrivacyVault) -> tuple[Job, ...]:
    return (unsaved_people_job(application.name, vault, application.existing),)
