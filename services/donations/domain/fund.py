"""Fund: an initiative money is raised for; it keeps its own dated balance so it can never be overdrawn.

Why the fund holds a balance: a disbursement must not exceed the money the fund holds. Each payment
credits and each reversal debits the fund in the same atomic save as the pledge's event, so the balance
check and the disbursement are one optimistic-concurrency step on this aggregate: two concurrent
disbursements, or a disbursement racing a payment, cannot both pass on a stale figure.

Why the balance is dated: movements may be back-dated (a bank statement read a week late), and the ledger
answers "as of" any past day. A disbursement dated on day D must leave the fund at zero or above at the end
of D and of every later day, so no past balance becomes negative by it. Days are Europe/Rome calendar days,
as the ledger dates its entries.

A reversal may still take a balance below zero, on its own day or later, when the money was already spent:
a chargeback is a fact from the bank, not a request the charity may refuse, so it is recorded and the ledger
shows the fund's deficit honestly from the reversal's day (to be covered by a later payment; until then no
disbursement dated on or before the last day in deficit is accepted). Only a reversal dated before its own
payment is refused, by the pledge.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

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


ROME = ZoneInfo("Europe/Rome")


def ledger_day(at: datetime) -> str:
    """The day a movement counts on: its calendar day in Rome (ISO), the day the ledger gives its entry."""
    return at.astimezone(ROME).date().isoformat()


def fund_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 120:
        raise FundNameNotValid(f"fund name must be 1 to 120 characters, got {len(cleaned)}")
    return cleaned


class Fund(Aggregate):
    # Version 2 dates its movements; a version-1 snapshot's balance becomes undated money (upcast_v1_v2).
    class_version = 2

    @event("Created")
    def __init__(self, name: str, created_at: datetime) -> None:
        self.name = name
        self.created_at = created_at
        self.closed = False
        self.balance = ZERO
        self.disbursed = ZERO
        # Net movement per Rome day (ISO). Credits and debits recorded before movements carried their date
        # are `undated`: they count from the fund's first day.
        self.days: dict[str, Decimal] = {}
        self.undated = ZERO

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["days"], state["undated"] = {}, state["balance"]

    def _move(self, amount: Decimal, at: datetime | None) -> None:
        self.balance += amount
        if at is None:
            self.undated += amount
        else:
            day = ledger_day(at)
            self.days[day] = self.days.get(day, ZERO) + amount

    def held_from(self, day: str) -> list[tuple[str, Decimal]]:
        """The balance at the end of `day` and of each later day on which the fund moved, in date order."""
        held = self.undated + sum((net for d, net in self.days.items() if d <= day), ZERO)
        balances = [(day, held)]
        for later in sorted(d for d in self.days if d > day):
            held += self.days[later]
            balances.append((later, held))
        return balances

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
    def credit(self, pledge_id: UUID, payment_id: UUID, amount: Decimal, received_at: datetime | None = None) -> None:
        self._move(amount, received_at)

    @event("Debited")
    def debit(self, pledge_id: UUID, payment_id: UUID, amount: Decimal, reversed_at: datetime | None = None) -> None:
        self._move(-amount, reversed_at)

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
        day = ledger_day(disbursed_at)
        for later, held in self.held_from(day):
            if held < amount:
                raise InsufficientFunds(
                    f"disbursing {amount} EUR on {day} would leave fund {self.name} at {held - amount} EUR on "
                    f"{later}; it held {held} EUR then. Record the payments first, or date the disbursement "
                    "when the fund held enough"
                )
        self._disburse(disbursement_id, amount, disbursed_at, purpose, document)

    @event("FundsDisbursed")
    def _disburse(
        self, disbursement_id: UUID, amount: Decimal, disbursed_at: datetime, purpose: str, document: str
    ) -> None:
        self._move(-amount, disbursed_at)
        self.disbursed += amount
