"""Pledge: a promise of money or goods for a fund, and the payments, reversals and receipts that keep it.

Status is never stored: it is derived from the events (pledged → partially paid → fulfilled; cancelled;
overdue when an instalment due by the query date is unpaid), so rollups cannot disagree with payments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from services.donations.domain.money import CENT, ZERO, euro
from services.kernel.errors import DomainError, InvalidInput, NotFound


class PledgeKind(StrEnum):
    MONEY = "money"
    GOODS = "goods"


class PaymentMethod(StrEnum):
    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    PAYPAL = "paypal"
    SEPA = "sepa"
    CASH = "cash"


class PledgeStatus(StrEnum):
    PLEDGED = "pledged"
    PARTIALLY_PAID = "partially_paid"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"
    OVERDUE = "overdue"


class PledgeNotValid(InvalidInput):
    pass


class InstalmentsNotValid(InvalidInput):
    pass


class UnknownPaymentMethod(InvalidInput):
    pass


class PledgeIsCancelled(DomainError):
    pass


class PledgeAlreadyFulfilled(DomainError):
    pass


class WrongPledgeKind(DomainError):
    pass


class Overpayment(DomainError):
    pass


class ReversalExceedsPayment(DomainError):
    pass


class ReversalBeforePayment(DomainError):
    pass


class GoodsExceedPledge(DomainError):
    pass


class PaymentNotFound(NotFound):
    pass


def payment_method(method: str) -> PaymentMethod:
    try:
        return PaymentMethod(method)
    except ValueError:
        names = ", ".join(m.value for m in PaymentMethod)
        raise UnknownPaymentMethod(f"payment method must be one of {names}; got {method!r}") from None


def instalment_schedule(rows: list[tuple[date, Decimal]], total: Decimal) -> list[dict[str, str]]:
    """A schedule as event data: increasing due dates whose amounts add up to the pledge."""
    if len(rows) > 120:
        raise InstalmentsNotValid(f"a schedule has at most 120 instalments, got {len(rows)}")
    dates = [due for due, _ in rows]
    if dates != sorted(set(dates)):
        raise InstalmentsNotValid("instalment due dates must be distinct and in increasing order")
    amounts = [euro(amount, "instalment amount") for _, amount in rows]
    if rows and sum(amounts, ZERO) != total:
        raise InstalmentsNotValid(f"instalments add up to {sum(amounts, ZERO)}, the pledge is {total}; make them equal")
    return [{"due_on": due.isoformat(), "amount": str(amount)} for due, amount in zip(dates, amounts, strict=True)]


@dataclass
class Payment:
    amount: Decimal
    method: str
    reference: str
    received_at: datetime
    reversed: Decimal = ZERO


@dataclass(frozen=True)
class Reversal:
    payment_id: UUID
    amount: Decimal
    reversed_at: datetime
    reason: str


@dataclass(frozen=True)
class GoodsReceipt:
    receipt_id: UUID
    quantity: int
    value: Decimal
    received_at: datetime


class Pledge(Aggregate):
    @event("Made")
    def __init__(
        self, donor_id: UUID, fund_id: UUID, kind: str, amount: Decimal, made_at: datetime,
        campaign_id: str | None = None, contact_id: str | None = None, call_id: str | None = None,
        volunteer_id: str | None = None, description: str | None = None, quantity: int | None = None,
        instalments: list[dict[str, str]] | None = None,
    ) -> None:
        self.donor_id, self.fund_id, self.kind = donor_id, fund_id, PledgeKind(kind)
        self.amount, self.made_at, self.campaign_id = amount, made_at, campaign_id
        self.description, self.quantity = description, quantity
        self.instalments = [(date.fromisoformat(i["due_on"]), Decimal(i["amount"])) for i in instalments or []]
        self.payments: dict[UUID, Payment] = {}
        self.paid = ZERO  # net of reversals; 0 <= paid <= amount always holds
        self.received_quantity = 0
        self.received_value = ZERO
        self.cancelled = False
        # gifts: what the pledge's page shows (state only; the events are unchanged)
        self.reversals: list[Reversal] = []
        self.goods: list[GoodsReceipt] = []
        self.cancellation: tuple[datetime, str] | None = None
        # (end of gifts)

    @property
    def fulfilled(self) -> bool:
        if self.kind is PledgeKind.GOODS:
            return self.received_quantity == self.quantity
        return self.paid == self.amount

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid

    def status(self, on: date) -> PledgeStatus:
        if self.cancelled:
            return PledgeStatus.CANCELLED
        if self.fulfilled:
            return PledgeStatus.FULFILLED
        due = sum((amount for due_on, amount in self.instalments if due_on <= on), ZERO)
        if due > self.paid:
            return PledgeStatus.OVERDUE
        started = self.paid > 0 or self.received_quantity > 0
        return PledgeStatus.PARTIALLY_PAID if started else PledgeStatus.PLEDGED

    def _require_open(self, action: str) -> None:
        if self.cancelled:
            raise PledgeIsCancelled(f"pledge {self.id} was cancelled; it cannot {action}")

    def receive_payment(
        self, payment_id: UUID, amount: Decimal, method: str, reference: str, received_at: datetime
    ) -> None:
        amount = euro(amount)
        if self.kind is not PledgeKind.MONEY:
            raise WrongPledgeKind(f"pledge {self.id} is a pledge of goods; record goods received instead")
        self._require_open("take payments")
        if amount > self.outstanding:
            raise Overpayment(
                f"payment of {amount} exceeds the {self.outstanding} still due on pledge {self.id}; "
                "record the surplus as a new pledge"
            )
        self._receive_payment(payment_id, amount, payment_method(method).value, reference, received_at)

    @event("PaymentReceived")
    def _receive_payment(
        self, payment_id: UUID, amount: Decimal, method: str, reference: str, received_at: datetime
    ) -> None:
        self.payments[payment_id] = Payment(amount, method, reference, received_at)
        self.paid += amount

    def reverse_payment(self, payment_id: UUID, amount: Decimal, reversed_at: datetime, reason: str) -> None:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise PaymentNotFound(f"payment {payment_id} not found on pledge {self.id}")
        amount = euro(amount)
        reason = " ".join(reason.split())
        if not 1 <= len(reason) <= 500:
            raise PledgeNotValid(f"reason must be 1 to 500 characters, got {len(reason)}")
        if reversed_at < payment.received_at:
            raise ReversalBeforePayment(
                f"a reversal dated {reversed_at.isoformat()} cannot precede payment {payment_id}, received "
                f"{payment.received_at.isoformat()}; date the reversal on or after the payment"
            )
        left = payment.amount - payment.reversed
        if amount > left:
            raise ReversalExceedsPayment(
                f"reversal of {amount} exceeds the {left} of payment {payment_id} not yet reversed"
            )
        self._reverse_payment(payment_id, amount, reversed_at, reason)

    @event("PaymentReversed")
    def _reverse_payment(self, payment_id: UUID, amount: Decimal, reversed_at: datetime, reason: str) -> None:
        self.payments[payment_id].reversed += amount
        self.paid -= amount
        self.reversals.append(Reversal(payment_id, amount, reversed_at, reason))

    def cancel(self, cancelled_at: datetime, reason: str) -> None:
        self._require_open("be cancelled again")
        if self.fulfilled:
            raise PledgeAlreadyFulfilled(f"pledge {self.id} is fulfilled; reverse a payment instead of cancelling")
        reason = " ".join(reason.split())
        if not 1 <= len(reason) <= 500:
            raise PledgeNotValid(f"reason must be 1 to 500 characters, got {len(reason)}")
        self._cancel(cancelled_at, reason)

    @event("Cancelled")
    def _cancel(self, cancelled_at: datetime, reason: str) -> None:
        self.cancelled = True
        self.cancellation = (cancelled_at, reason)

    def receive_goods(self, receipt_id: UUID, quantity: int, received_at: datetime) -> None:
        if self.kind is not PledgeKind.GOODS or self.quantity is None:
            raise WrongPledgeKind(f"pledge {self.id} is a pledge of money; record a payment instead")
        self._require_open("receive goods")
        left = self.quantity - self.received_quantity
        if not 1 <= quantity <= left:
            raise GoodsExceedPledge(f"quantity must be between 1 and the {left} still expected, got {quantity}")
        # Valued pro rata of the declared value; the last delivery takes the remainder so values add up.
        value = self.amount - self.received_value if quantity == left else (
            self.amount * quantity / self.quantity).quantize(CENT)
        self._receive_goods(receipt_id, quantity, value, received_at)

    @event("GoodsReceived")
    def _receive_goods(self, receipt_id: UUID, quantity: int, value: Decimal, received_at: datetime) -> None:
        self.received_quantity += quantity
        self.received_value += value
        self.goods.append(GoodsReceipt(receipt_id, quantity, value, received_at))


@dataclass(frozen=True)
class InstalmentState:
    due_on: date
    amount: Decimal
    paid: Decimal  # of this instalment: payments (net of reversals) settle instalments in due-date order
    overdue: bool  # due by the day asked about, not wholly paid, the pledge not cancelled
    days_late: int  # days since its due date when overdue, else 0


def instalment_states(pledge: Pledge, on: date) -> list[InstalmentState]:
    """Each instalment with the part of it paid, on day `on`: net payments fill the earliest instalments first."""
    states, before = [], ZERO
    for due_on, amount in pledge.instalments:
        paid = min(max(pledge.paid - before, ZERO), amount)
        before += amount
        overdue = not pledge.cancelled and due_on <= on and paid < amount
        states.append(InstalmentState(due_on, amount, paid, overdue, (on - due_on).days if overdue else 0))
    return states


def make_pledge(donor_id: UUID, fund_id: UUID, kind: str, amount: Decimal, made_at: datetime, **links: Any) -> Pledge:
    """A new pledge after checking its values; `links` are campaign/contact/call/volunteer ids and goods details."""
    try:
        pledge_kind = PledgeKind(kind)
    except ValueError:
        raise PledgeNotValid(f"pledge kind must be 'money' or 'goods', got {kind!r}") from None
    amount = euro(amount, "amount" if pledge_kind is PledgeKind.MONEY else "declared value")
    schedule: list[tuple[date, Decimal]] = links.pop("schedule", [])
    if pledge_kind is PledgeKind.GOODS:
        description, quantity = (links.get("description") or "").strip(), links.get("quantity")
        if not 1 <= len(description) <= 300:
            raise PledgeNotValid(
                f"a pledge of goods needs a description of 1 to 300 characters, got {len(description)}")
        if not isinstance(quantity, int) or not 1 <= quantity <= 1_000_000:
            raise PledgeNotValid(f"a pledge of goods needs a quantity between 1 and 1000000, got {quantity!r}")
        if schedule:
            raise InstalmentsNotValid("only pledges of money have an instalment schedule")
        links["description"] = description
    elif links.get("description") is not None or links.get("quantity") is not None:
        raise PledgeNotValid("description and quantity belong to pledges of goods; leave them out for money")
    instalments = instalment_schedule(schedule, amount)
    return Pledge(donor_id, fund_id, pledge_kind.value, amount, made_at, instalments=instalments, **links)


_REFERENCES = uuid5(NAMESPACE_URL, "angeli:payment-reference")


def reference_id(method: str, reference: str) -> UUID:
    return uuid5(_REFERENCES, f"{method}\x1f{reference}")


class PaymentReference(Aggregate):
    """An external reference claimed by one payment: saved with it, so an import repeated twice records once."""

    @staticmethod
    def create_id(method: str, reference: str, pledge_id: UUID, payment_id: UUID, amount: Decimal) -> UUID:
        return reference_id(method, reference)

    @event("Claimed")
    def __init__(self, method: str, reference: str, pledge_id: UUID, payment_id: UUID, amount: Decimal) -> None:
        self.method, self.reference = method, reference
        self.pledge_id, self.payment_id, self.amount = pledge_id, payment_id, amount


def pay(pledge: Pledge, amount: Decimal, method: str, reference: str, at: datetime) -> PaymentReference:
    """The payment on the pledge and the claim on its reference; the caller credits the fund."""
    payment_id = uuid4()
    pledge.receive_payment(payment_id, amount, method, reference, at)
    return PaymentReference(method, reference, pledge.id, payment_id, pledge.payments[payment_id].amount)
