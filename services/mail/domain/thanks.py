"""Thank-you letters and receipts as data: the per-fund thank-you plan, what the mail service learned of the donations
service's gifts (a pledge's donor and fund, a fund's name), one thank-you per payment, and the daily run's mark.

Pure rules, no I/O. A plan says, per fund: which transactional template thanks a gift to it, how many days after the
payment (0 to 30), and whether it is on. A thank-you is recorded for every payment, planned or not, so nothing is
lost: its state says whether it is due (and on which day), sent, or skipped and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import DomainError, InvalidInput

MAX_DELAY_DAYS = 30
FIRST_YEAR = 2000  # receipts: no year before it is asked about


class ThanksNotValid(InvalidInput):
    pass


class ThanksAlreadyDecided(DomainError):
    pass


def delay_days(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DELAY_DAYS:
        raise ThanksNotValid(f"delay_days must be a whole number of days from 0 to {MAX_DELAY_DAYS}, got {value!r}")
    return value


def receipt_year(year: int, today: date) -> int:
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= today.year:
        raise ThanksNotValid(f"year must be from {FIRST_YEAR} to {today.year}, got {year!r}")
    return year


@dataclass(frozen=True)
class FundThanks:
    """One fund's line of the plan."""

    fund_id: UUID
    template_id: UUID
    delay_days: int
    enabled: bool
    set_by: str
    set_at: datetime


class ThanksPlan(Aggregate):
    """The one thank-you plan of the charity: a line per fund, and how receipts are sent."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(NAMESPACE_URL, "angeli:mail:thanks-plan")

    @event("Started")
    def __init__(self) -> None:
        self.funds: dict[UUID, FundThanks] = {}
        self.receipt_template_id: UUID | None = None  # None: the built-in plain text
        self.year_end_receipts = False
        self.built_in_receipt_template_id: UUID | None = None

    def for_fund(self, fund_id: UUID) -> FundThanks | None:
        return self.funds.get(fund_id)

    def set_fund(self, fund_id: UUID, template_id: UUID, delay: int, enabled: bool, at: datetime, by: str) -> bool:
        """Set a fund's line; False (no event) when it already says exactly this."""
        delay = delay_days(delay)
        now = self.funds.get(fund_id)
        if now is not None and (now.template_id, now.delay_days, now.enabled) == (template_id, delay, enabled):
            return False
        self._set_fund(fund_id, template_id, delay, enabled, at, by)
        return True

    @event("FundSet")
    def _set_fund(self, fund_id: UUID, template_id: UUID, delay: int, enabled: bool, at: datetime, by: str) -> None:
        self.funds[fund_id] = FundThanks(fund_id, template_id, delay, enabled, by, at)

    def set_receipts(self, template_id: UUID | None, year_end: bool, at: datetime, by: str) -> bool:
        if (self.receipt_template_id, self.year_end_receipts) == (template_id, year_end):
            return False
        self._set_receipts(template_id, year_end, at, by)
        return True

    @event("ReceiptsSet")
    def _set_receipts(self, template_id: UUID | None, year_end: bool, at: datetime, by: str) -> None:
        self.receipt_template_id, self.year_end_receipts = template_id, year_end

    @event("BuiltInReceiptTemplateMade")
    def built_in_receipt_template(self, template_id: UUID) -> None:
        self.built_in_receipt_template_id = template_id


class PledgeSeen(Aggregate):
    """A pledge of the donations service as the thank-yous need it: whose, for which fund."""

    @staticmethod
    def create_id(pledge_id: UUID) -> UUID:
        return pledge_seen_id(pledge_id)

    @event("Seen")
    def __init__(self, pledge_id: UUID, donor_id: UUID, fund_id: UUID) -> None:
        self.pledge_id, self.donor_id, self.fund_id = pledge_id, donor_id, fund_id


def pledge_seen_id(pledge_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"angeli:mail:pledge:{pledge_id}")


class FundSeen(Aggregate):
    """A fund of the donations service: its name, as a thank-you names it."""

    @staticmethod
    def create_id(fund_id: UUID) -> UUID:
        return fund_seen_id(fund_id)

    @event("Seen")
    def __init__(self, fund_id: UUID, name: str) -> None:
        self.fund_id, self.name = fund_id, name

    def rename(self, name: str) -> bool:
        if name == self.name:
            return False
        self._rename(name)
        return True

    @event("Renamed")
    def _rename(self, name: str) -> None:
        self.name = name


def fund_seen_id(fund_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"angeli:mail:fund:{fund_id}")


class ThankYouStatus(StrEnum):
    DUE = "due"  # waits for the daily run of its day
    SENT = "sent"  # the relay (or the outbox) accepted it
    REFUSED = "refused"  # the relay refused the recipient
    SKIPPED = "skipped"  # not sent, and why: no plan, plan off, no address, erased, payment reversed


class ThankYou(Aggregate):
    """The thank-you owed for one payment."""

    @staticmethod
    def create_id(payment_id: UUID) -> UUID:
        return thank_you_id(payment_id)

    @event("Recorded")
    def __init__(self, payment_id: UUID, pledge_id: UUID, person_id: UUID, fund_id: UUID, amount: Decimal,
                 paid_on: date, due_on: date | None, reason: str, recorded_at: datetime) -> None:
        self.payment_id, self.pledge_id, self.person_id, self.fund_id = payment_id, pledge_id, person_id, fund_id
        self.amount, self.paid_on, self.due_on = amount, paid_on, due_on
        self.status = ThankYouStatus.DUE if due_on is not None else ThankYouStatus.SKIPPED
        self.reason = reason
        self.delivery_id: UUID | None = None
        self.decided_at: datetime | None = None if due_on is not None else recorded_at

    @classmethod
    def record(cls, payment_id: UUID, pledge_id: UUID, person_id: UUID, fund_id: UUID, amount: Decimal,
               paid_on: date, plan: FundThanks | None, today: date, at: datetime) -> ThankYou:
        """Due `delay` days after the payment's day, never before `today` (a payment recorded late is thanked at
        the next run); skipped at once when the fund has no plan or its plan is off."""
        if plan is None:
            return cls(payment_id, pledge_id, person_id, fund_id, amount, paid_on, None,
                       "the fund has no thank-you plan", at)
        if not plan.enabled:
            return cls(payment_id, pledge_id, person_id, fund_id, amount, paid_on, None,
                       "the fund's thank-you plan is off", at)
        due = max(paid_on + timedelta(days=plan.delay_days), today)
        return cls(payment_id, pledge_id, person_id, fund_id, amount, paid_on, due, "", at)

    @property
    def due(self) -> bool:
        return self.status is ThankYouStatus.DUE

    def decide(self, status: str, reason: str, delivery_id: UUID | None, at: datetime) -> None:
        """The outcome of its send (or why it was not sent); once only."""
        if not self.due:
            raise ThanksAlreadyDecided(f"the thank-you for payment {self.payment_id} is already {self.status.value}")
        self._decide(ThankYouStatus(status).value, reason, delivery_id, at)

    @event("Decided")
    def _decide(self, status: str, reason: str, delivery_id: UUID | None, at: datetime) -> None:
        self.status, self.reason, self.delivery_id, self.decided_at = ThankYouStatus(status), reason, delivery_id, at


def thank_you_id(payment_id: UUID) -> UUID:
    return uuid5(NAMESPACE_URL, f"angeli:mail:thank-you:{payment_id}")


def outcome(status: str) -> str:
    """A delivery's status as a thank-you's: accepted → sent; queued (not yet through) stays due; others as named."""
    return {"accepted": ThankYouStatus.SENT.value, "refused": ThankYouStatus.REFUSED.value,
            "bounced": ThankYouStatus.SENT.value, "skipped": ThankYouStatus.SKIPPED.value}.get(status, "")


class ThanksRun(Aggregate):
    """The daily batch's mark: the last day it ran, and the years whose receipts went out at year end."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(NAMESPACE_URL, "angeli:mail:thanks-run")

    @event("Started")
    def __init__(self) -> None:
        self.last_day: date | None = None
        self.receipt_years: list[int] = []

    def ran_today(self, today: date) -> bool:
        return self.last_day is not None and self.last_day >= today

    @event("Ran")
    def ran(self, day: date, sent: int, skipped: int) -> None:
        self.last_day = day

    def receipts_sent(self, year: int) -> bool:
        return year in self.receipt_years

    @event("ReceiptsSent")
    def sent_receipts(self, year: int, donors: int) -> None:
        self.receipt_years = [*self.receipt_years, year]


class ReceiptLetter(Aggregate):
    """A receipt sent on request: who asked, for which donor and year, and how its send went."""

    @event("Requested")
    def __init__(self, donor_id: UUID, year: int, files: list[str], requested_by: str, requested_at: datetime) -> None:
        self.donor_id, self.year, self.files = donor_id, year, files
        self.requested_by, self.requested_at = requested_by, requested_at
        self.status, self.reason = "requested", ""
        self.delivery_id: UUID | None = None

    @event("Decided")
    def decide(self, status: str, reason: str, delivery_id: UUID | None, at: datetime) -> None:
        self.status, self.reason, self.delivery_id = status, reason, delivery_id
