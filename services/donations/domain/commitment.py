"""Commitment: a donor's standing order of regular gifts (monthly, quarterly, yearly) and the gifts matched to it.

A period's gift is a payment carrying the commitment's mandate reference (see contract.py for how periods fall).
A payment matches the period whose window holds its day; when that period is already matched (or not expected),
it pays the earliest earlier period still unmatched (arrears); otherwise it is an extra gift. Status is derived
from the events: active, paused, lapsed (the lapse job found N expected periods in a row with no gift), ended.
Dates are Europe/Rome calendar days, passed in: the aggregate reads no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.donations.contract import FREQUENCY_MONTHS, LAST_DAY, Period, Plan
from services.donations.domain.money import euro
from services.kernel.errors import DomainError, InvalidInput

# A SEPA mandate id (up to 35 characters of the SEPA set); card and PayPal subscriptions use the same field.
_MANDATE = re.compile(r"[A-Za-z0-9+?/\-:().,' ]{1,35}")


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class CommitmentMethod(StrEnum):
    SEPA = "sepa"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    PAYPAL = "paypal"


class CommitmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    LAPSED = "lapsed"
    ENDED = "ended"


class CommitmentNotValid(InvalidInput):
    pass


class CommitmentNotActive(DomainError):
    pass


class MandateTaken(DomainError):
    pass


class MandateNotKnown(InvalidInput):
    pass


def mandate_reference(text: str) -> str:
    """A mandate reference as stored and matched: trimmed, upper case (SEPA ids are compared without case)."""
    cleaned = text.strip().upper()
    if not _MANDATE.fullmatch(cleaned):
        raise CommitmentNotValid(
            f"mandate reference must be 1 to 35 letters, digits or + ? / - : ( ) . , ' and spaces, got {text!r}")
    return cleaned


_MANDATES = uuid5(NAMESPACE_URL, "angeli:mandate-reference")


def mandate_id(reference: str) -> UUID:
    """The id of the mandate's claim: the same in every process, so two claims of one reference collide."""
    return uuid5(_MANDATES, mandate_reference(reference))


_DONORS = uuid5(NAMESPACE_URL, "angeli:donor-commitments")


def donor_commitments_id(donor_id: UUID) -> UUID:
    return uuid5(_DONORS, str(donor_id))


def _reason(reason: str) -> str:
    cleaned = " ".join(reason.split())
    if not 1 <= len(cleaned) <= 500:
        raise CommitmentNotValid(f"reason must be 1 to 500 characters, got {len(cleaned)}")
    return cleaned


@dataclass(frozen=True)
class MatchedGift:
    payment_id: UUID
    pledge_id: UUID
    amount: Decimal
    received_on: date


@dataclass(frozen=True)
class ScheduledPeriod:
    period: Period
    gift: MatchedGift | None
    state: str  # "paid", "missed" (window over, no gift), "open" (window running), "upcoming"


class Commitment(Aggregate):
    @event("SetUp")
    def __init__(
        self, donor_id: UUID, fund_id: UUID, amount: Decimal, frequency: str, day: int, start: date,
        end: date | None, method: str, mandate: str | None, mandate_signed_on: date | None, set_up_at: datetime,
        set_up_on: date,
    ) -> None:
        self.donor_id, self.fund_id, self.method = donor_id, fund_id, method
        self.frequency, self.day, self.start, self.end = frequency, day, start, end
        self.mandate, self.mandate_signed_on, self.set_up_on = mandate, mandate_signed_on, set_up_on
        self.set_up_at = set_up_at
        self.amounts: list[tuple[date, Decimal]] = [(start, amount)]
        self.stops: list[tuple[date, date | None]] = []
        self.lapsed = False
        self.ended_on: date | None = None
        self.end_reason: str | None = None
        self.gifts: dict[int, MatchedGift] = {}
        self.extras: list[MatchedGift] = []

    @property
    def status(self) -> CommitmentStatus:
        if self.ended_on is not None:
            return CommitmentStatus.ENDED
        if self.stops and self.stops[-1][1] is None:
            return CommitmentStatus.LAPSED if self.lapsed else CommitmentStatus.PAUSED
        return CommitmentStatus.ACTIVE

    @property
    def plan(self) -> Plan:
        return Plan(self.frequency, self.day, self.start, self.end, tuple(self.amounts), tuple(self.stops),
                    self.ended_on)

    @property
    def amount(self) -> Decimal:
        return self.amounts[-1][1]

    def pause(self, on: date, paused_at: datetime) -> None:
        if self.status is not CommitmentStatus.ACTIVE:
            raise CommitmentNotActive(f"commitment {self.id} is {self.status.value}; only an active one can be paused")
        self._pause(on, paused_at)

    @event("Paused")
    def _pause(self, on: date, paused_at: datetime) -> None:
        self.stops.append((on, None))
        self.lapsed = False

    def resume(self, on: date, resumed_at: datetime) -> None:
        if self.status not in (CommitmentStatus.PAUSED, CommitmentStatus.LAPSED):
            raise CommitmentNotActive(
                f"commitment {self.id} is {self.status.value}; only a paused or lapsed one can be resumed")
        self._resume(max(on, self.stops[-1][0]), resumed_at)

    @event("Resumed")
    def _resume(self, on: date, resumed_at: datetime) -> None:
        self.stops[-1] = (self.stops[-1][0], on)
        self.lapsed = False

    def change_amount(self, amount: Decimal, effective_from: date, changed_at: datetime) -> None:
        if self.status is CommitmentStatus.ENDED:
            raise CommitmentNotActive(f"commitment {self.id} has ended; set up a new one instead")
        amount = euro(amount)
        if effective_from < self.start:
            raise CommitmentNotValid(
                f"the change must take effect on or after the start, {self.start.isoformat()}; got "
                f"{effective_from.isoformat()}")
        if amount == self.plan.amount_on(effective_from) and all(d < effective_from for d, _ in self.amounts):
            raise CommitmentNotValid(f"the amount from {effective_from.isoformat()} is already {amount}")
        self._change_amount(amount, effective_from, changed_at)

    @event("AmountChanged")
    def _change_amount(self, amount: Decimal, effective_from: date, changed_at: datetime) -> None:
        # A change replaces whatever was planned from its date on (a later change made earlier included).
        self.amounts = [(d, a) for d, a in self.amounts if d < effective_from] + [(effective_from, amount)]

    def end_commitment(self, on: date, reason: str, ended_at: datetime) -> None:
        if self.status is CommitmentStatus.ENDED:
            raise CommitmentNotActive(f"commitment {self.id} has already ended")
        self._end(on, _reason(reason), ended_at)

    @event("Ended")
    def _end(self, on: date, reason: str, ended_at: datetime) -> None:
        self.ended_on, self.end_reason = on, reason

    def missed_in_a_row(self, today: date) -> tuple[int, date | None]:
        """Expected periods whose window is over without a gift, counted back from the last one, since the set-up
        and the last resume; and the day the last of them closed."""
        since = max([self.set_up_on, *(until for _, until in self.stops if until is not None)])
        over = [p for p in self.plan.periods(today) if p.window_end <= today and p.due_on >= since]
        missed = 0
        for period in reversed(over):
            if period.number in self.gifts:
                break
            missed += 1
        return missed, over[-1].window_end if missed else None

    def lapse_if_missed(self, periods: int, today: date, lapsed_at: datetime) -> bool:
        """Record the lapse when `periods` expected gifts in a row are missing; the rule lives here, the
        Lapsed event keeps its outcome, so replay never re-judges it by another setting."""
        if self.status is not CommitmentStatus.ACTIVE:
            return False
        missed, closed_on = self.missed_in_a_row(today)
        if missed < periods or closed_on is None:
            return False
        self._lapse(closed_on, missed, lapsed_at)
        return True

    @event("Lapsed")
    def _lapse(self, on: date, missed: int, lapsed_at: datetime) -> None:
        self.stops.append((on, None))
        self.lapsed = True

    def match(self, payment_id: UUID, pledge_id: UUID, amount: Decimal, received_on: date) -> int | None:
        """The period this payment pays (see the module's doc), or None for an extra gift."""
        plan = self.plan
        own = plan.number_on(received_on)
        number: int | None = None
        if own is not None:
            open_ = [p.number for p in plan.periods(plan.due_on(own)) if p.number not in self.gifts]
            number = own if own in open_ else (open_[0] if open_ else None)
        self._match(number, payment_id, pledge_id, amount, received_on)
        return number

    @event("GiftMatched")
    def _match(self, period: int | None, payment_id: UUID, pledge_id: UUID, amount: Decimal,
               received_on: date) -> None:
        gift = MatchedGift(payment_id, pledge_id, amount, received_on)
        if period is None:
            self.extras.append(gift)
        else:
            self.gifts[period] = gift

    def schedule(self, today: date, through: date) -> list[ScheduledPeriod]:
        """Expected periods due by `through` with their gift or their state on `today`."""
        rows = []
        for period in self.plan.periods(through):
            gift = self.gifts.get(period.number)
            state = ("paid" if gift else "missed" if period.window_end <= today
                     else "open" if period.due_on <= today or self.plan.number_on(today) == period.number
                     else "upcoming")
            rows.append(ScheduledPeriod(period, gift, state))
        return rows


def set_up(
    donor_id: UUID, fund_id: UUID, amount: Decimal | str, frequency: str, day: int, start: date,
    end: date | None, method: str, mandate: str | None, mandate_signed_on: date | None, at: datetime, today: date,
) -> Commitment:
    """A new commitment after checking its values; the caller checks the donor, the fund and the mandate's claim."""
    amount = euro(amount)
    if frequency not in FREQUENCY_MONTHS:
        raise CommitmentNotValid(f"frequency must be one of {', '.join(FREQUENCY_MONTHS)}; got {frequency!r}")
    try:
        method = CommitmentMethod(method).value
    except ValueError:
        names = ", ".join(m.value for m in CommitmentMethod)
        raise CommitmentNotValid(f"method must be one of {names}; got {method!r}") from None
    if not isinstance(day, int) or not 1 <= day <= LAST_DAY:
        raise CommitmentNotValid(f"day must be between 1 and {LAST_DAY} (every month has it), got {day!r}")
    if end is not None and end < start:
        raise CommitmentNotValid(f"end {end.isoformat()} is before start {start.isoformat()}; end on or after it")
    if method == CommitmentMethod.SEPA and (not mandate or mandate_signed_on is None):
        raise CommitmentNotValid("a SEPA commitment needs its mandate reference and the date the mandate was signed")
    reference = mandate_reference(mandate) if mandate else None
    if mandate_signed_on is not None and (reference is None or mandate_signed_on > today):
        raise CommitmentNotValid(
            "the mandate's signature date needs a mandate reference and must not be in the future, got "
            f"{mandate_signed_on.isoformat()}")
    return Commitment(donor_id, fund_id, amount, frequency, day, start, end, method, reference, mandate_signed_on,
                      at, today)


class MandateClaim(Aggregate):
    """A mandate reference held by one donor's commitment: saved with it, keyed by mandate_id(reference)."""

    @staticmethod
    def create_id(reference: str, donor_id: UUID, commitment_id: UUID) -> UUID:
        return mandate_id(reference)

    @event("Claimed")
    def __init__(self, reference: str, donor_id: UUID, commitment_id: UUID) -> None:
        self.reference, self.donor_id, self.commitment_id = reference, donor_id, commitment_id

    @event("Moved")
    def move(self, commitment_id: UUID) -> None:
        """The same donor's next commitment takes the mandate over, once the one holding it has ended."""
        self.commitment_id = commitment_id


class DonorCommitments(Aggregate):
    """The ids of one donor's commitments, in the order they were set up."""

    @staticmethod
    def create_id(donor_id: UUID) -> UUID:
        return donor_commitments_id(donor_id)

    @event("Started")
    def __init__(self, donor_id: UUID) -> None:
        self.donor_id = donor_id
        self.commitments: list[UUID] = []

    @event("Added")
    def add(self, commitment_id: UUID) -> None:
        self.commitments.append(commitment_id)
