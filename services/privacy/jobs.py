"""Scheduled work of privacy: sweeping the personal data that services stored but never saved a record for."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from services.kernel.scheduling import Job
from services.privacy.application import PrivacyVault


def unsaved_people_job(owner: str, vault: PrivacyVault, existing: Callable[[list[UUID]], set[UUID]]) -> Job:
    """The scheduled sweep of the people `owner` stored in the vault but never saved (see `new_people`)."""
    return Job(f"{owner}.unsaved_people", lambda: vault.sweep_unsaved(owner, existing), every_seconds=600)
