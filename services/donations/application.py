"""Donations use cases: get → act → save; personal data goes to the vault, never into events."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO, ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from eventsourcing.domain import DomainEventProtocol

from services.donations import gifts
from services.donations.domain.donor import Donor, parse_donor_kind
from services.donations.domain.fund import Fund, fund_name
from services.donations.domain.money import euro, require_euro
from services.donations.domain.pledge import (
    PaymentReference,
    Pledge,
    make_pledge,
    payment_method,
    reference_id,
)
from services.kernel.clock import Clock
from services.kernel.errors import ConcurrencyConflict, DomainError, InvalidInput
from services.kernel.eventstore import ServiceApplication
from services.kernel.vault import PersonErased, PrivacyVault

ROME = ZoneInfo("Europe/Rome")
# A payment touches its pledge and its fund: concurrent payments to one fund retry a few times.
_PAYMENT_ATTEMPTS = 5
# Gift imports: lines saved per transaction, and the problem lines the answer lists at most.
IMPORT_BATCH = 500
_BATCH_ATTEMPTS = 20  # a fund credited by imports in other processes: retried with growing random pauses
MAX_LINES_SHOWN = 1000
# The fund is the one aggregate every payment touches: a snapshot every 100 events keeps loading it O(1).
FUND_SNAPSHOT_INTERVAL = 100


class TimeNotValid(InvalidInput):
    pass


class PaymentReferenceTaken(DomainError):
    pass


class DonorErased(DomainError):
    pass


@dataclass(frozen=True)
class PaymentRecorded:
    payment_id: UUID
    duplicate: bool


@dataclass(frozen=True)
class PledgeView:
    id: UUID
    donor_id: UUID
    fund_id: UUID
    kind: str
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    status: str
    campaign_id: str | None
    instalments: tuple[tuple[date, Decimal], ...]
    payments: tuple[tuple[UUID, Decimal, str, str, Decimal], ...]
    received_quantity: int
    quantity: int | None
    version: int


@dataclass(frozen=True)
class FundView:
    id: UUID
    name: str
    closed: bool
    balance: Decimal
    disbursed: Decimal
    version: int


@dataclass(frozen=True)
class ImportLine:
    line: int
    outcome: str  # "duplicate" (recorded once already) or "rejected" (not imported)
    reason: str


@dataclass
class GiftImportReport:
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    lines: list[ImportLine] = field(default_factory=list)
    lines_truncated: bool = False

    def note(self, line: int, outcome: str, reason: str) -> None:
        if outcome == "duplicate":
            self.duplicates += 1
        else:
            self.rejected += 1
        if len(self.lines) < MAX_LINES_SHOWN:
            self.lines.append(ImportLine(line, outcome, reason))
        else:
            self.lines_truncated = True


@dataclass
class _ImportedGift:
    """A line turned into its events (new donor, pledge made and paid, reference claimed), fund not yet credited."""

    gift: gifts.Gift
    reference_id: UUID
    pledge_id: UUID
    payment_id: UUID
    events: Sequence[DomainEventProtocol[UUID]]
    new_donor: UUID | None  # registered by this line, personal data already in the vault


class _PendingEvents:
    """A batch's new events, handed to one save as the library's collect_events protocol: unlike aggregates
    (whose pending events a failed save consumes) they stay here for the retry, and the save checks one object
    instead of thousands of events against the library's runtime protocols."""

    def __init__(self, events: list[DomainEventProtocol[UUID]]) -> None:
        self.id = uuid4()
        self.events = events

    def collect_events(self) -> list[DomainEventProtocol[UUID]]:
        return self.events


@dataclass(frozen=True)
class DonorView:
    id: UUID
    kind: str
    details: dict[str, str]
    erased: bool


class DonationsApplication(ServiceApplication):
    name = "donations"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Fund: FUND_SNAPSHOT_INTERVAL}

    def __init__(self, env: dict[str, str], vault: PrivacyVault, clock: Clock | None = None) -> None:
        super().__init__(env, clock)
        self.vault = vault
        # Import batches of one process take turns to credit funds (the save is database time, so little is
        # lost), which leaves conflicts to batches from other processes.
        self._crediting = threading.Lock()

    def register_donor(self, kind: str, details: dict[str, str]) -> UUID:
        donor = Donor(parse_donor_kind(kind).value, registered_at=self.clock.now())
        with self.vault.new_people({donor.id: details}, self.name, self.existing):
            self.save(donor)
        return donor.id

    def create_fund(self, name: str) -> UUID:
        fund = Fund(fund_name(name), created_at=self.clock.now())
        self.save(fund)
        return fund.id

    def rename_fund(self, fund_id: UUID, name: str) -> None:
        fund = self.get(fund_id, Fund)
        fund.rename(name, renamed_at=self.clock.now())
        self.save(fund)

    def close_fund(self, fund_id: UUID) -> None:
        fund = self.get(fund_id, Fund)
        fund.close(closed_at=self.clock.now())
        self.save(fund)

    def disburse(
        self, fund_id: UUID, amount: Decimal, purpose: str, document: str, currency: str = "EUR",
        disbursed_at: datetime | None = None,
    ) -> UUID:
        require_euro(currency)
        fund = self.get(fund_id, Fund)
        disbursement_id = uuid4()
        fund.disburse(disbursement_id, amount, self._past(disbursed_at, "disbursed_at"), purpose, document)
        self.save(fund)
        return disbursement_id

    def make_pledge(
        self, donor_id: UUID, fund_id: UUID, kind: str, amount: Decimal, currency: str = "EUR", **links: Any
    ) -> UUID:
        require_euro(currency)
        self.get(donor_id, Donor)
        if self.vault.is_erased(donor_id):
            raise DonorErased(f"donor {donor_id} was erased; register the donor again to take a new pledge")
        self.get(fund_id, Fund).require_open()
        pledge = make_pledge(donor_id, fund_id, kind, amount, self.clock.now(), **links)
        self.save(pledge)
        return pledge.id

    def receive_payment(
        self, pledge_id: UUID, amount: Decimal, method: str, reference: str, currency: str = "EUR",
        received_at: datetime | None = None,
    ) -> PaymentRecorded:
        require_euro(currency)
        amount, method, reference = euro(amount), payment_method(method).value, reference.strip()
        if not 1 <= len(reference) <= 140:
            raise InvalidInput(f"reference must be 1 to 140 characters, got {len(reference)}")
        at = self._past(received_at, "received_at")
        for _ in range(_PAYMENT_ATTEMPTS):
            earlier = self._earlier_payment(pledge_id, amount, method, reference)
            if earlier is not None:
                return earlier
            pledge = self.get(pledge_id, Pledge)
            fund = self.get(pledge.fund_id, Fund)
            claim = self._pay(pledge, amount, method, reference, at)
            payment_id = claim.payment_id
            fund.credit(pledge.id, payment_id, claim.amount, at)
            try:
                self.save(pledge, fund, claim)
            except ConcurrencyConflict:
                continue  # the fund moved, or the same reference was saved just now: look again
            return PaymentRecorded(payment_id, duplicate=False)
        raise ConcurrencyConflict("the fund is receiving many payments at once; retry this payment")

    @staticmethod
    def _pay(pledge: Pledge, amount: Decimal, method: str, reference: str, at: datetime) -> PaymentReference:
        """The payment on the pledge and the claim on its reference; the caller credits the fund."""
        payment_id = uuid4()
        pledge.receive_payment(payment_id, amount, method, reference, at)
        return PaymentReference(method, reference, pledge.id, payment_id, pledge.payments[payment_id].amount)

    def import_gifts(self, binary: BinaryIO) -> GiftImportReport:
        """Gifts already received (a payment provider's or bank's export): each valid line becomes a pledge made
        and paid at once, its reference claimed and its fund credited, IMPORT_BATCH lines per transaction.
        A reference recorded before (or earlier in the file) is a duplicate, recorded once; bad lines are
        reported and not imported; a file-level problem raises before anything is stored."""
        plan = gifts.inspect(binary)
        now = self.clock.now()
        report = GiftImportReport()
        seen: dict[UUID, tuple[int, Decimal]] = {}  # reference → (first line, amount), across the whole file
        for batch in gifts.batches(binary, plan, now, size=IMPORT_BATCH):
            report.rows += batch.lines_read
            for problem in batch.problems:
                report.note(problem.line, "rejected", problem.reason)
            fresh: list[tuple[UUID, gifts.Gift]] = []
            for gift in batch.items:
                rid = reference_id(gift.method, gift.reference)
                if rid in seen:
                    line, amount = seen[rid]
                    if amount == gift.amount:
                        report.note(gift.line, "duplicate", f"{gift.method} reference {gift.reference!r} is on line "
                                    f"{line} too; recorded once")
                    else:
                        report.note(gift.line, "rejected", f"{gift.method} reference {gift.reference!r} is on line "
                                    f"{line} for {amount}; check the statement line")
                    continue
                seen[rid] = (gift.line, gift.amount)
                fresh.append((rid, gift))
            earlier = self.existing([rid for rid, _ in fresh])
            for rid, gift in fresh:
                if rid in earlier:
                    self._note_earlier(report, gift, rid)
            prepared = self._prepare([(rid, g) for rid, g in fresh if rid not in earlier], report, now)
            self._save_gifts(prepared, report)
        report.lines.sort(key=lambda x: x.line)
        return report

    def _note_earlier(self, report: GiftImportReport, gift: gifts.Gift, rid: UUID, race: bool = False) -> None:
        claim = self.get(rid, PaymentReference)
        when = "by another import at the same time" if race else "before"
        if claim.amount == gift.amount:
            report.note(gift.line, "duplicate", f"{gift.method} reference {gift.reference!r} was recorded {when} "
                        f"(payment {claim.payment_id}); recorded once")
        else:
            report.note(gift.line, "rejected", f"{gift.method} reference {gift.reference!r} was recorded {when} for "
                        f"{claim.amount} on pledge {claim.pledge_id}; check the statement line")

    def _prepare(self, fresh: list[tuple[UUID, gifts.Gift]], report: GiftImportReport,
                 now: datetime) -> list[_ImportedGift]:
        """Each line's events through the same domain rules as the single-gift commands."""
        problems: dict[UUID, str] = {}
        for fund_id in {g.fund_id for _, g in fresh}:
            problems.update(self._fund_problem(fund_id))
        for known in {g.donor_id for _, g in fresh if g.donor_id is not None}:
            problems.update(self._donor_problem(known))
        prepared: list[_ImportedGift] = []
        personal: dict[UUID, dict[str, str]] = {}
        for rid, gift in fresh:
            problem = problems.get(gift.fund_id) or (problems.get(gift.donor_id) if gift.donor_id else None)
            if problem:
                report.note(gift.line, "rejected", problem)
                continue
            donor = None if gift.donor is None else Donor(gift.donor.kind, registered_at=now)
            donor_id = donor.id if donor is not None else gift.donor_id
            assert donor_id is not None
            campaign = None if gift.campaign_id is None else str(gift.campaign_id)
            try:
                pledge = make_pledge(donor_id, gift.fund_id, "money", gift.amount, gift.received_at,
                                     campaign_id=campaign)
                claim = self._pay(pledge, gift.amount, gift.method, gift.reference, gift.received_at)
            except DomainError as error:
                report.note(gift.line, "rejected", error.message)
                continue
            events = [*(donor.collect_events() if donor else []), *pledge.collect_events(), *claim.collect_events()]
            prepared.append(_ImportedGift(gift, rid, pledge.id, claim.payment_id, events,
                                          donor.id if donor is not None else None))
            if donor is not None and gift.donor is not None:
                personal[donor.id] = gift.donor.personal_data()
        if personal:  # fresh ids: none is erased; noted unsaved until their batch is saved (see vault.new_people)
            self.vault.put_many(personal, unsaved_by=self.name)
        return prepared

    def _fund_problem(self, fund_id: UUID) -> dict[UUID, str]:
        try:
            self.get(fund_id, Fund).require_open()
        except DomainError as error:
            return {fund_id: error.message}
        return {}

    def _donor_problem(self, donor_id: UUID) -> dict[UUID, str]:
        try:
            self.get(donor_id, Donor)
        except DomainError as error:
            return {donor_id: error.message}
        if self.vault.is_erased(donor_id):
            return {donor_id: f"donor {donor_id} was erased; register the donor again to record a gift"}
        return {}

    def _save_gifts(self, prepared: list[_ImportedGift], report: GiftImportReport) -> None:
        """All the lines' aggregates in ONE save with their funds credited. A conflict means a fund moved (load
        it again and retry) or another import claimed a reference just now (report those lines as duplicates)."""
        for attempt in range(_BATCH_ATTEMPTS):
            if not prepared:
                return
            if attempt:  # another process credited the fund: step aside a random moment, so we do not collide again
                time.sleep(random.uniform(0, 0.02 * attempt))
            fund_ids = {p.gift.fund_id for p in prepared}
            with self._crediting, self.exclusive(fund_ids):  # replicas take turns on a fund instead of colliding
                funds = {fund_id: self.get(fund_id, Fund) for fund_id in fund_ids}
                versions = {fund_id: fund.version for fund_id, fund in funds.items()}
                for item in prepared:
                    gift = item.gift
                    funds[gift.fund_id].credit(item.pledge_id, item.payment_id, gift.amount, gift.received_at)
                try:
                    self.save(_PendingEvents([e for item in prepared for e in item.events]), *funds.values())
                except ConcurrencyConflict:
                    if not any(self._version(fund_id) != version for fund_id, version in versions.items()):
                        prepared = self._drop_claimed(prepared, report)
                    continue
            self.vault.saved([item.new_donor for item in prepared if item.new_donor is not None])
            report.imported += len(prepared)
            return
        for item in prepared:  # the funds stayed busy: one line per save, each retried
            self._save_gift(item, report)

    def _save_gift(self, item: _ImportedGift, report: GiftImportReport) -> None:
        for _ in range(_PAYMENT_ATTEMPTS):
            fund = self.get(item.gift.fund_id, Fund)
            fund.credit(item.pledge_id, item.payment_id, item.gift.amount, item.gift.received_at)
            try:
                self.save(_PendingEvents(list(item.events)), fund)
            except ConcurrencyConflict:
                if self.exists(item.reference_id):
                    self._note_earlier(report, item.gift, item.reference_id, race=True)
                    self._forget_new_donors([item])
                    return
                continue
            if item.new_donor is not None:
                self.vault.saved([item.new_donor])
            report.imported += 1
            return
        raise ConcurrencyConflict("the fund is receiving many payments at once; import the file again: the lines "
                                  "already recorded are reported as duplicates")

    def _drop_claimed(self, prepared: list[_ImportedGift], report: GiftImportReport) -> list[_ImportedGift]:
        taken = self.existing([item.reference_id for item in prepared])
        for item in prepared:
            if item.reference_id in taken:
                self._note_earlier(report, item.gift, item.reference_id, race=True)
        self._forget_new_donors([item for item in prepared if item.reference_id in taken])
        return [item for item in prepared if item.reference_id not in taken]

    def _forget_new_donors(self, dropped: list[_ImportedGift]) -> None:
        """The donors these lines would have registered are not saved: their personal data must not stay."""
        self.vault.discard([item.new_donor for item in dropped if item.new_donor is not None])

    def _version(self, aggregate_id: UUID) -> int:
        last = self.recorder.select_events(aggregate_id, desc=True, limit=1)
        return last[0].originator_version if last else 0

    def _earlier_payment(self, pledge_id: UUID, amount: Decimal, method: str, reference: str) -> PaymentRecorded | None:
        """The payment already recorded under this method and reference, if it is the same payment."""
        if not self.exists(reference_id(method, reference)):
            return None
        claim = self.get(reference_id(method, reference), PaymentReference)
        if claim.pledge_id != pledge_id or claim.amount != amount:
            raise PaymentReferenceTaken(
                f"{method} reference {reference!r} was already recorded for {claim.amount} on pledge "
                f"{claim.pledge_id}; check the statement line"
            )
        return PaymentRecorded(claim.payment_id, duplicate=True)

    def reverse_payment(
        self, pledge_id: UUID, payment_id: UUID, amount: Decimal, reason: str, currency: str = "EUR",
        reversed_at: datetime | None = None,
    ) -> None:
        require_euro(currency)
        amount, at = euro(amount), self._past(reversed_at, "reversed_at")
        for _ in range(_PAYMENT_ATTEMPTS):
            pledge = self.get(pledge_id, Pledge)
            fund = self.get(pledge.fund_id, Fund)
            pledge.reverse_payment(payment_id, amount, at, reason)
            fund.debit(pledge.id, payment_id, amount, at)
            try:
                self.save(pledge, fund)
            except ConcurrencyConflict:
                continue
            return
        raise ConcurrencyConflict("the fund is receiving many payments at once; retry this reversal")

    def cancel_pledge(self, pledge_id: UUID, reason: str) -> None:
        pledge = self.get(pledge_id, Pledge)
        pledge.cancel(self.clock.now(), reason)
        self.save(pledge)

    def receive_goods(self, pledge_id: UUID, quantity: int) -> UUID:
        pledge = self.get(pledge_id, Pledge)
        receipt_id = uuid4()
        pledge.receive_goods(receipt_id, quantity, self.clock.now())
        self.save(pledge)
        return receipt_id

    def pledge(self, pledge_id: UUID, on: date | None = None) -> PledgeView:
        p = self.get(pledge_id, Pledge)
        on = on or self.clock.now().astimezone(ROME).date()
        payments = tuple((pid, x.amount, x.method, x.reference, x.reversed) for pid, x in p.payments.items())
        return PledgeView(
            p.id, p.donor_id, p.fund_id, p.kind.value, p.amount, p.paid, p.outstanding, p.status(on).value,
            p.campaign_id, tuple(p.instalments), payments, p.received_quantity, p.quantity, p.version,
        )

    def fund(self, fund_id: UUID) -> FundView:
        f = self.get(fund_id, Fund)
        return FundView(f.id, f.name, f.closed, f.balance, f.disbursed, f.version)

    def donor(self, donor_id: UUID, fields: Collection[str] | None = None) -> DonorView:
        """The donor with the personal `fields` the caller will show (all when None): the access trail names
        exactly those, so a caller asks only for what it shows."""
        d = self.get(donor_id, Donor)
        try:
            return DonorView(d.id, d.kind.value, self.vault.get(d.id, fields=fields), erased=False)
        except PersonErased:
            return DonorView(d.id, d.kind.value, {}, erased=True)

    def _past(self, at: datetime | None, what: str) -> datetime:
        now = self.clock.now()
        if at is None:
            return now
        if at.tzinfo is None:
            raise TimeNotValid(f"{what} must carry a time zone, e.g. 2026-11-20T10:00:00+01:00; got {at.isoformat()}")
        if at > now:
            raise TimeNotValid(f"{what} must not be in the future, got {at.isoformat()}")
        return at
