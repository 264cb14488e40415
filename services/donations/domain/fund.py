"""Fund: an initiative money is raised for; it keeps its own balance so it can never be overdrawn.

Why the fund holds a balance: a disbursement must not exceed the money the fund holds *now*. Each payment
credits and each reversal debits the fund in the same atomic save as the pledge's event, so the balance
check and the disbursement are one optimistic-concurrency step on this aggregate: two concurrent
disbursements, or a disbursement racing a payment, cannot both pass on a stale figure. A reversal may
still take the balance below zero after money was spent: a chargeback is an outside fact and is never
refused; the ledger shows the negative balance.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.donations.domain.money import ZERO, euro
from services.kernel.errors import DomainError, InvalidInput


class FundNameNotValid(InvalidInput):
    pass


class DisbursementNotValid(InvalidInput):
    pass


class FundClosed(DomainError):
    pass


class InsufficientFunds(DomainError):
    pass


def fund_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 120:
        raise FundNameNotValid(f"fund name must be 1 to 120 characters, got {len(cleaned)}")
    return cleaned


class Fund(Aggregate):
    @event("Created")
    def __init__(self, name: str, created_at: datetime) -> None:
        self.name = name
        self.created_at = created_at
        self.closed = False
        self.balance = ZERO
        self.disbursed = ZERO

    def rename(self, name: str, renamed_at: datetime) -> None:
        if self.closed:
            raise FundClosed(f"fund {self.id} is closed; a closed fund keeps its name")
        self._rename(fund_name(name), renamed_at)

    @event("Renamed")
    def _rename(self, name: str, renamed_at: datetime) -> None:
        self.name = name

    def close(self, closed_at: datetime) -> None:
        if self.closed:
            raise FundClosed(f"fund {self.id} is already closed")
        self._close(closed_at)

    @event("Closed")
    def _close(self, closed_at: datetime) -> None:
        self.closed = True

    def require_open(self) -> None:
        if self.closed:
            raise FundClosed(f"fund {self.id} ({self.name}) is closed and takes no new pledges; choose an open fund")

    @event("Credited")
    def credit(self, pledge_id: UUID, payment_id: UUID, amount: Decimal) -> None:
        self.balance += amount

    @event("Debited")
    def debit(self, pledge_id: UUID, payment_id: UUID, amount: Decimal) -> None:
        self.balance -= amount

    def disburse(
        self, disbursement_id: UUID, amount: Decimal, disbursed_at: datetime, purpose: str, document: str
    ) -> None:
        amount = euro(amount)
        purpose, document = " ".join(purpose.split()), document.strip()
        if not 1 <= len(purpose) <= 500:
            raise DisbursementNotValid(f"purpose must be 1 to 500 characters, got {len(purpose)}")
        if not 1 <= len(document) <= 200:
            raise DisbursementNotValid(
                f"document must name the supporting document (invoice or receipt number), 1 to 200 characters, "
                f"got {len(document)}"
            )
        if amount > self.balance:
            raise InsufficientFunds(
                f"fund {self.name} holds {self.balance}, cannot disburse {amount}; record the payments first"
            )
        self._disburse(disbursement_id, amount, disbursed_at, purpose, document)

    @event("FundsDisbursed")
    def _disburse(
        self, disbursement_id: UUID, amount: Decimal, disbursed_at: datetime, purpose: str, document: str
    ) -> None:
        self.balance -= amount
        self.disbursed += amount
