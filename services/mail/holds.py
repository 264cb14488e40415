"""Bounce use cases: a bounce read by the endpoint, its token verified, recorded on its address (get → act → save);
an address taken off hold; where an address stands.

The token verifier comes in as a callable (`verify`), so this module does not depend on how tokens are signed:
it returns the token's claims, or raises a DomainError for a token that is not ours (a forged or mangled bounce,
dropped and logged). Any other failure propagates, and the endpoint answers 451 so the MTA retries.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.kernel.clock import Clock
from services.kernel.errors import DomainError, NotFound
from services.kernel.eventstore import ServiceApplication
from services.kernel.idempotency import PendingRequest
from services.mail.bounces import Bounce
from services.mail.domain.address import HoldPolicy, MailAddress, address_id

_log = logging.getLogger(__name__)


class Claims(Protocol):
    """What a verified VERP token names: the address's key (a recipient id or an address digest) and the message."""

    @property
    def recipient(self) -> str: ...

    @property
    def message(self) -> str: ...


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

    def record_bounce(self, bounce: Bounce, verify: Callable[[str], Claims]) -> AddressState | None:
        """Record a bounce on the address its token names (None when the token is not ours)."""
        try:
            claims = verify(bounce.token)
        except DomainError as error:
            _log.warning("bounce dropped, its token is not valid: %s", error.message)
            return None
        address = self._address(claims.recipient)
        if address.record_bounce(claims.message, bounce.kind, bounce.status, self.clock.now(), self.policy):
            self.save(address)
        return _state(address)

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

    def _address(self, key: str) -> MailAddress:
        try:
            return self.get(address_id(key), MailAddress)
        except NotFound:
            return MailAddress(key)


def _state(address: MailAddress) -> AddressState:
    return AddressState(address.key, address.on_hold, address.hold_reason, address.held_at, address.bounces)
