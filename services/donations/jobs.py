"""Scheduled work of the donations service: the sweep of the donors it put in the vault but never saved, and the
lapse of regular gifts whose gifts stopped arriving."""

from __future__ import annotations

import logging
from uuid import UUID

from eventsourcing.utils import get_topic

from services.donations.application import DonationsApplication
from services.donations.domain.commitment import Commitment, CommitmentStatus
from services.kernel.errors import ConcurrencyConflict
from services.kernel.scheduling import Job
from services.privacy.application import PrivacyVault
from services.privacy.jobs import unsaved_people_job

log = logging.getLogger(__name__)

# Expected gifts missed in a row that make a commitment lapsed, unless ANGELI_REGULAR_LAPSE_PERIODS says otherwise.
DEFAULT_LAPSE_PERIODS = 2
LAPSE_EVERY_SECONDS = 3600.0
_PAGE = 1000


class LapseSweep:
    """One periodic pass over the commitments (never a job per commitment). It learns their ids from the store's
    set-up notifications, reading only those after the last it saw, and forgets the ended ones."""

    def __init__(self, application: DonationsApplication, periods: int = DEFAULT_LAPSE_PERIODS) -> None:
        self.application, self.periods = application, periods
        self.position = 0
        self.commitments: list[UUID] = []
        self.topic = get_topic(getattr(Commitment, "SetUp"))  # noqa: B009  (the class the library made)

    def _learn(self) -> None:
        recorder = self.application.recorder
        while True:
            found = recorder.select_notifications(self.position + 1, _PAGE, topics=[self.topic])
            self.commitments.extend(UUID(str(n.originator_id)) for n in found)
            if found:
                self.position = found[-1].id
            if len(found) < _PAGE:
                return

    def run(self) -> int:
        """Record `Lapsed` on each active commitment missing `periods` expected gifts in a row; how many lapsed."""
        self._learn()
        lapsed, ended = 0, set()
        for commitment_id in self.commitments:
            try:
                if self.application.lapse_commitment(commitment_id, self.periods):
                    lapsed += 1
            except ConcurrencyConflict:
                continue  # a gift or a pause arrived meanwhile: the next pass judges it again
            if self.application.get(commitment_id, Commitment).status is CommitmentStatus.ENDED:
                ended.add(commitment_id)
        self.commitments = [c for c in self.commitments if c not in ended]
        if lapsed:
            log.info("regular gifts: %d commitments lapsed after %d missed gifts", lapsed, self.periods)
        return lapsed


def jobs(application: DonationsApplication, vault: PrivacyVault,
         lapse_periods: int = DEFAULT_LAPSE_PERIODS) -> tuple[Job, ...]:
    sweep = LapseSweep(application, lapse_periods)
    return (unsaved_people_job(application.name, vault, application.existing),
            Job("donations.lapse_regular_gifts", sweep.run, every_seconds=LAPSE_EVERY_SECONDS))
