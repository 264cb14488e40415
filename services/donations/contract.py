"""The donations service's published language for regular giving: a commitment's message types and how its
periods fall, so the read side computes expected income exactly as the commitment itself does.

Stdlib only. A commitment of frequency F (1, 3 or 12 months) and day D (1-28) expects one gift per period; period
k is due on day D of month m0 + k*F, where m0 is the start date's month (or the next month when D falls before the
start day), and its window is the F calendar months from m0 + k*F: a payment received in the window is that
period's gift. A period is expected when it is due on or after the start, on or before the planned end, before
the day the commitment was ended, and outside every stop (a pause or a lapse, from its day until the resume).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}
LAST_DAY = 28  # every month has it: a commitment's day is 1 to 28

COMMITMENT_SET_UP = "Commitment.SetUp"
COMMITMENT_PAUSED = "Commitment.Paused"
COMMITMENT_RESUMED = "Commitment.Resumed"
COMMITMENT_AMOUNT_CHANGED = "Commitment.AmountChanged"
COMMITMENT_ENDED = "Commitment.Ended"
COMMITMENT_LAPSED = "Commitment.Lapsed"
COMMITMENT_GIFT_MATCHED = "Commitment.GiftMatched"
# thank-you letters: the gifts' message types another service reacts to (the mail service's thank-you letters)
PLEDGE_MADE = "Pledge.Made"  # donor_id, fund_id, kind, amount, made_at
PAYMENT_RECEIVED = "Pledge.PaymentReceived"  # payment_id, amount, method, reference, received_at (of the pledge)
PAYMENT_REVERSED = "Pledge.PaymentReversed"  # payment_id, amount, reversed_at, reason
FUND_CREATED = "Fund.Created"  # name, created_at
FUND_RENAMED = "Fund.Renamed"  # name, renamed_at
# (end of thank-you letters)


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    number: int
    due_on: date
    amount: Decimal
    window_end: date  # the first day after the period's window


@dataclass(frozen=True)
class Plan:
    """What decides a commitment's expected periods; `amounts` are (effective from, amount) in date order, `stops`
    (from, until or None while it lasts) when no gift is expected."""

    frequency: str
    day: int
    start: date
    end: date | None
    amounts: tuple[tuple[date, Decimal], ...]
    stops: tuple[tuple[date, date | None], ...] = ()
    ended_on: date | None = None

    @property
    def step(self) -> int:
        return FREQUENCY_MONTHS[self.frequency]

    @property
    def first_month(self) -> int:
        first = month_index(self.start)
        return first if self.day >= self.start.day else first + 1

    def number_on(self, day: date) -> int | None:
        """The period whose window holds `day`, or None before the first period."""
        months = month_index(day) - self.first_month
        return None if months < 0 else months // self.step

    def due_on(self, number: int) -> date:
        return month_start(self.first_month + number * self.step).replace(day=self.day)

    def amount_on(self, day: date) -> Decimal:
        amount = self.amounts[0][1]
        for since, value in self.amounts:
            if since <= day:
                amount = value
        return amount

    def stopped_on(self, day: date) -> bool:
        return any(since <= day and (until is None or day < until) for since, until in self.stops)

    def expected(self, number: int) -> bool:
        due = self.due_on(number)
        return (self.start <= due and (self.end is None or due <= self.end)
                and (self.ended_on is None or due < self.ended_on) and not self.stopped_on(due))

    def periods(self, through: date) -> Iterator[Period]:
        """The expected periods due on or before `through`, in order."""
        number = 0
        while True:
            due = self.due_on(number)
            if due > through or (self.end is not None and due > self.end):
                return
            if self.expected(number):
                window_end = month_start(self.first_month + (number + 1) * self.step)
                yield Period(number, due, self.amount_on(due), window_end)
            number += 1
