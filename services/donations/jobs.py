"""Scheduled work of the donations service: the sweep of the donors it put in the vault but never saved."""

from __future__ import annotations

from services.donations.application import DonationsApplication
from services.kernel.scheduling import Job
from services.privacy.application import PrivacyVault
from services.privacy.jobs import unsaved_people_job


def jobs(application: DonationsApplication, vault: PrivacyVault) -> tuple[Job, ...]:
    return (unsaved_people_job(application.name, vault, application.existing),)
