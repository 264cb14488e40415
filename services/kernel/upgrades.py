"""One-time upgrades of a store recorded as done: a step that must run once per installation (filling a new index
from older events) is recorded under its name when it has run, so the next start looks up one id and moves on.
Bookkeeping, not domain state: feeds carry no message for it (services.kernel.messages.skipped)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_UPGRADE = uuid5(NAMESPACE_URL, "angeli:kernel:upgrade")


class Upgrade(Aggregate):
    """A named one-time upgrade that has run on this store."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return uuid5(_UPGRADE, name)

    @event("Done")
    def __init__(self, name: str) -> None:
        self.name = name
