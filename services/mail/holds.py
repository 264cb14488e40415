"""Holds: where an address stands after its bounces, and a person taking it off hold (get → act → save). Bounces
are recorded by services.mail.people.bounce, which verifies their VERP token first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.kernel.clock import Clock
from services.kernel.errors import NotFound
from services.kernel.eventstore import ServiceApplication
from services.kernel.idempotency import PendingRequest
from services.mail.domain.address import HoldPolicy, MailAddress, address_id


@dataclass(frozen=True)
class AddressState:
    key: str
    on_hold: bool
    reason: str
    held_at: datetime | None
    bounces: int


class AddressHolds(ServiceApplication):
    """Bounces per address and the holds they lead to."""

    def __init__(self, env: dict[str, str], clock: Clock | None = None, policy: HoldPolicy | None = None) -> None:
        super().__init__(env, clock)
        self.policy = policy or HoldPolicy()

    def release(self, key: str, by: str, once: PendingRequest | None = None) -> AddressState:
        """Take an address off hold (its owner confirmed it works again)."""
        address: MailAddress = self.get(address_id(key), MailAddress)
        address.release(self.clock.now(), by)
        self.save(address, once=once)
        return _state(address)

    def address(self, key: str) -> AddressState:
        """Where an address stands; one never bounced is not on hold."""
        try:
            return _state(self.get(address_id(key), MailAddress))
        except NotFound:
            return AddressState(key, False, "", None, 0)

    def mail_address(self, key: str) -> MailAddress:
        """The address's aggregate to act on (a new one for an address never bounced)."""
        try:
            return self.get(address_id(key), MailAddress)
        except NotFound:
            return MailAddress(key)


def _state(address: MailAddress) -> AddressState:
    return AddressState(address.key, address.on_hold, address.hold_reason, address.held_at, address.bounces)
