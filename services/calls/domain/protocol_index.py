"""The protocol index: every protocol's id in order of creation, the calls service's own index that GET /protocols
reads instead of scanning the event log.

One per installation, saved with each protocol created (so it is never behind). Two protocols created at the same
instant end in one 409 on it: protocols are a handful per centre, written by experts now and then, so that
conflict is rare and a retry settles it.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_PROTOCOL_INDEX = uuid5(NAMESPACE_URL, "angeli:calls:protocol-index")


class ProtocolIndex(Aggregate):
    """The ids of every protocol created, oldest first; ids are only added."""

    @staticmethod
    def create_id() -> UUID:
        return _PROTOCOL_INDEX

    @event("Opened")
    def __init__(self) -> None:
        self.protocols: list[str] = []

    def add(self, protocol_ids: list[UUID]) -> int:
        """Add the protocols not listed yet; how many were added."""
        listed = set(self.protocols)
        new = [str(i) for i in dict.fromkeys(protocol_ids) if str(i) not in listed]
        if new:
            self._add(new)
        return len(new)

    @event("Listed")
    def _add(self, protocol_ids: list[str]) -> None:
        self.protocols.extend(protocol_ids)
