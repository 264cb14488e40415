"""Delivery: one message to one person — queued, then accepted by the relay, refused, or skipped; later bounced,
or its unsubscribe link followed. Its id comes from the recipient and the message's token reference, so a VERP
bounce or an unsubscribe token finds it without an index, and a second send of the same message finds it done.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:mail-delivery")
DONE = frozenset({"accepted", "refused", "skipped", "bounced"})


def delivery_id(person_id: UUID, reference: str) -> UUID:
    return uuid5(_NAMESPACE, f"{person_id}|{reference}")


class Delivery(Aggregate):
    """The person's id and the list are known; the address it went to is only in the vault."""

    @staticmethod
    def create_id(person_id: UUID, list_id: str, reference: str, kind: str, template_id: UUID, version: int,
                  at: datetime, mailing: str = "") -> UUID:
        return delivery_id(person_id, reference)

    @event("Queued")
    def __init__(self, person_id: UUID, list_id: str, reference: str, kind: str, template_id: UUID, version: int,
                 at: datetime, mailing: str = "") -> None:
        self.person_id = person_id
        self.list_id = list_id
        self.reference = reference
        self.kind = kind  # marketing or transactional
        self.template_id = template_id
        self.template_version = version
        self.status = "queued"
        self.reason = ""
        self.deferrals = 0
        self.unsubscribed = False
        self.mailing = mailing  # the mailing it is part of ("" for a letter of its own)
        self.accepted_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.status in DONE

    @event("Accepted")
    def accepted(self, at: datetime, relay: str) -> None:
        self.status = "accepted"
        self.accepted_at = at

    @property
    def was_accepted(self) -> bool:
        """The relay took it (it may have bounced since)."""
        return self.accepted_at is not None

    @event("Refused")
    def refused(self, code: int, text: str, permanent: bool, at: datetime) -> None:
        self.status = "refused"
        self.reason = f"{code} {text}".strip()

    @event("Deferred")
    def deferred(self, code: int, text: str, at: datetime) -> None:
        self.deferrals += 1
        self.reason = f"{code} {text}".strip()

    @event("Skipped")
    def skipped(self, reason: str, at: datetime) -> None:
        self.status = "skipped"
        self.reason = reason

    def bounce(self, kind: str, status: str, at: datetime) -> bool:
        if self.status == "bounced":
            return False
        self._bounced(kind, status, at)
        return True

    @event("Bounced")
    def _bounced(self, kind: str, status: str, at: datetime) -> None:
        self.status = "bounced"
        self.reason = f"{kind} {status}".strip()

    def follow_unsubscribe(self, at: datetime) -> None:
        if not self.unsubscribed:
            self._unsubscribe_followed(at)

    @event("UnsubscribeFollowed")
    def _unsubscribe_followed(self, at: datetime) -> None:
        self.unsubscribed = True
