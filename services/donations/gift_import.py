"""Gift import: an export's lines (read by `gifts`) become pledges made and paid, their references claimed and
their funds credited, IMPORT_BATCH lines per transaction, through the same domain rules as the single commands.

A reference recorded before (or earlier in the file) is a duplicate, recorded once; bad lines are reported and
not imported; a file-level problem raises before anything is stored.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, BinaryIO
from uuid import UUID, uuid4

from eventsourcing.domain import DomainEventProtocol

from services.donations import donor_index, gifts
from services.donations.domain.donor import Donor
from services.donations.domain.fund import Fund
from services.donations.domain.pledge import PaymentReference, make_pledge, pay, reference_id
from services.kernel.errors import ConcurrencyConflict, DomainError
from services.kernel.idempotency import PendingRequest

if TYPE_CHECKING:
    from services.donations.application import DonationsApplication

# Lines saved per transaction, and the problem lines the answer lists at most.
IMPORT_BATCH = 500
MAX_LINES_SHOWN = 1000
_BATCH_ATTEMPTS = 20  # a fund credited by imports in other processes: retried with growing random pauses
_LINE_ATTEMPTS = 5  # then line by line, as a single payment retries


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


class GiftImport:
    """The import engine of one donations application. `fund_version(fund_id)` is the fund's stored version,
    read after a conflict to tell a fund that moved (retry the batch) from a reference claimed meanwhile."""

    def __init__(self, donations: DonationsApplication, fund_version: Callable[[UUID], int] | None = None) -> None:
        self.donations = donations
        self.fund_version = fund_version or self._stored_version
        # Import batches of one process take turns to credit funds (the save is database time, so little is
        # lost), which leaves conflicts to batches from other processes.
        self._crediting = threading.Lock()

    def run(self, binary: BinaryIO, *, once: PendingRequest | None = None, preview: bool = False) -> GiftImportReport:
        """Every line of the export imported, duplicated or rejected; the report says which and why. The first
        batch saved carries the request's idempotency record (`once`). A `preview` judges every line the same
        way and stores nothing (no events, no personal data in the vault): `imported` counts what would be."""
        plan = gifts.inspect(binary)
        now = self.donations.clock.now()
        report = GiftImportReport()
        seen: dict[UUID, tuple[int, Decimal]] = {}  # reference → (first line, amount), across the whole file
        for batch in gifts.batches(binary, plan, now, size=IMPORT_BATCH):
            report.rows += batch.lines_read
            for problem in batch.problems:
                report.note(problem.line, "rejected", problem.reason)
            fresh = self._first_in_file(batch.items, seen, report)
            earlier = self.donations.existing([rid for rid, _ in fresh])
            for rid, gift in fresh:
                if rid in earlier:
                    self._note_earlier(report, gift, rid)
            prepared = self._prepare([(rid, g) for rid, g in fresh if rid not in earlier and not g.mandate_reference],
                                     report, now, preview)
            if preview:
                report.imported += len(prepared)
            else:
                self._save_gifts(prepared, report, once=once)
            for rid, gift in fresh:  # regular gifts: each with its commitment, in a save of its own
                if rid not in earlier and gift.mandate_reference:
                    self._save_regular_gift(gift, rid, report, once=once, preview=preview)
        report.lines.sort(key=lambda x: x.line)
        return report

    @staticmethod
    def _first_in_file(items: list[gifts.Gift], seen: dict[UUID, tuple[int, Decimal]],
                       report: GiftImportReport) -> list[tuple[UUID, gifts.Gift]]:
        """The lines whose reference the file has not named before; `seen` learns them."""
        fresh: list[tuple[UUID, gifts.Gift]] = []
        for gift in items:
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
        return fresh

    def _save_regular_gift(self, gift: gifts.Gift, rid: UUID, report: GiftImportReport,
                           once: PendingRequest | None, preview: bool = False) -> None:
        assert gift.donor_id is not None and gift.mandate_reference is not None  # gifts.parse requires both
        try:
            recorded = self.donations.receive_regular_gift(
                gift.donor_id, gift.fund_id, gift.amount, gift.method, gift.reference, gift.received_at,
                gift.mandate_reference, None if gift.campaign_id is None else str(gift.campaign_id), once=once,
                preview=preview)
        except DomainError as error:
            report.note(gift.line, "rejected", error.message)
            return
        if recorded.duplicate:
            self._note_earlier(report, gift, rid, race=True)
        else:
            report.imported += 1

    def _note_earlier(self, report: GiftImportReport, gift: gifts.Gift, rid: UUID, race: bool = False) -> None:
        claim = self.donations.get(rid, PaymentReference)
        when = "by another import at the same time" if race else "before"
        if claim.amount == gift.amount:
            report.note(gift.line, "duplicate", f"{gift.method} reference {gift.reference!r} was recorded {when} "
                        f"(payment {claim.payment_id}); recorded once")
        else:
            report.note(gift.line, "rejected", f"{gift.method} reference {gift.reference!r} was recorded {when} for "
                        f"{claim.amount} on pledge {claim.pledge_id}; check the statement line")

    def _prepare(self, fresh: list[tuple[UUID, gifts.Gift]], report: GiftImportReport,
                 now: datetime, preview: bool = False) -> list[_ImportedGift]:
        """Each line's events through the same domain rules as the single-gift commands."""
        problems: dict[UUID, str] = {}
        for fund_id in {g.fund_id for _, g in fresh}:
            problems.update(self._fund_problem(fund_id))
        for known in {g.donor_id for _, g in fresh if g.donor_id is not None}:
            problems.update(self._donor_problem(known))
        prepared: list[_ImportedGift] = []
        personal: dict[UUID, dict[str, str]] = {}
        donations = self.donations
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
                claim = pay(pledge, gift.amount, gift.method, gift.reference, gift.received_at)
            except DomainError as error:
                report.note(gift.line, "rejected", error.message)
                continue
            details = gift.donor.personal_data() if gift.donor else None  # a new donor's search keys: an unreadable
            index = [*(donor_index.entries(donations, donor.id, details, strict=False) if donor else []),  # phone
                     donor_index.pledge_entry(donor_id, pledge.id)]  # is left out of the index, not the import
            events = [*(donor.collect_events() if donor else []), *pledge.collect_events(), *claim.collect_events(),
                      *donor_index.events_of(index)]
            prepared.append(_ImportedGift(gift, rid, pledge.id, claim.payment_id, events,
                                          donor.id if donor is not None else None))
            if donor is not None and gift.donor is not None:
                personal[donor.id] = gift.donor.personal_data()
        # fresh ids: none is erased; noted unsaved until their batch is saved (see vault.new_people); a preview
        # keeps nobody's personal data
        if personal and not preview:
            self.donations.vault.put_many(personal, unsaved_by=self.donations.name)
        return prepared

    def _fund_problem(self, fund_id: UUID) -> dict[UUID, str]:
        try:
            self.donations.get(fund_id, Fund).require_open()
        except DomainError as error:
            return {fund_id: error.message}
        return {}

    def _donor_problem(self, donor_id: UUID) -> dict[UUID, str]:
        try:
            self.donations.get(donor_id, Donor)
        except DomainError as error:
            return {donor_id: error.message}
        if self.donations.vault.is_erased(donor_id):
            return {donor_id: f"donor {donor_id} was erased; register the donor again to record a gift"}
        return {}

    def _save_gifts(self, prepared: list[_ImportedGift], report: GiftImportReport,
                    once: PendingRequest | None) -> None:
        """All the lines' aggregates in ONE save with their funds credited. A conflict means a fund moved (load
        it again and retry) or another import claimed a reference just now (report those lines as duplicates)."""
        donations = self.donations
        for attempt in range(_BATCH_ATTEMPTS):
            if not prepared:
                return
            if attempt:  # another process credited the fund: step aside a random moment, so we do not collide again
                time.sleep(random.uniform(0, 0.02 * attempt))
            fund_ids = {p.gift.fund_id for p in prepared}
            with self._crediting, donations.exclusive(fund_ids):  # replicas take turns on a fund, not colliding
                funds = {fund_id: donations.get(fund_id, Fund) for fund_id in fund_ids}
                versions = {fund_id: fund.version for fund_id, fund in funds.items()}
                for item in prepared:
                    gift = item.gift
                    funds[gift.fund_id].credit(item.pledge_id, item.payment_id, gift.amount, gift.received_at)
                try:
                    donations.save(_PendingEvents([e for item in prepared for e in item.events]), *funds.values(),
                                   once=once)
                except ConcurrencyConflict:
                    if not any(self.fund_version(fund_id) != version for fund_id, version in versions.items()):
                        prepared = self._drop_claimed(prepared, report)
                    continue
            donations.vault.saved([item.new_donor for item in prepared if item.new_donor is not None])
            report.imported += len(prepared)
            return
        for item in prepared:  # the funds stayed busy: one line per save, each retried
            self._save_gift(item, report, once=once)

    def _save_gift(self, item: _ImportedGift, report: GiftImportReport, once: PendingRequest | None) -> None:
        donations = self.donations
        for _ in range(_LINE_ATTEMPTS):
            fund = donations.get(item.gift.fund_id, Fund)
            fund.credit(item.pledge_id, item.payment_id, item.gift.amount, item.gift.received_at)
            try:
                donations.save(_PendingEvents(list(item.events)), fund, once=once)
            except ConcurrencyConflict:
                if donations.exists(item.reference_id):
                    self._note_earlier(report, item.gift, item.reference_id, race=True)
                    self._forget_new_donors([item])
                    return
                continue
            if item.new_donor is not None:
                donations.vault.saved([item.new_donor])
            report.imported += 1
            return
        raise ConcurrencyConflict("the fund is receiving many payments at once; import the file again: the lines "
                                  "already recorded are reported as duplicates")

    def _drop_claimed(self, prepared: list[_ImportedGift], report: GiftImportReport) -> list[_ImportedGift]:
        taken = self.donations.existing([item.reference_id for item in prepared])
        for item in prepared:
            if item.reference_id in taken:
                self._note_earlier(report, item.gift, item.reference_id, race=True)
        self._forget_new_donors([item for item in prepared if item.reference_id in taken])
        return [item for item in prepared if item.reference_id not in taken]

    def _forget_new_donors(self, dropped: list[_ImportedGift]) -> None:
        """The donors these lines would have registered are not saved: their personal data must not stay."""
        self.donations.vault.discard([item.new_donor for item in dropped if item.new_donor is not None])

    def _stored_version(self, aggregate_id: UUID) -> int:
        last = self.donations.recorder.select_events(aggregate_id, desc=True, limit=1)
        return last[0].originator_version if last else 0
