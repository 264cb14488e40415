"""Donations use cases: get → act → save; personal data goes to the vault, never into events."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, BinaryIO, ClassVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from services.donations import donor_index
from services.donations.domain.commitment import (
    Commitment,
    DonorCommitments,
    MandateClaim,
    MandateNotKnown,
    MandateTaken,
    MatchedGift,
    ScheduledPeriod,
    donor_commitments_id,
    mandate_id,
    mandate_reference,
    set_up,
)
from services.donations.domain.donor import Donor, parse_donor_kind
from services.donations.domain.donor_keys import DonorKeys
from services.donations.domain.fund import Fund, fund_name
from services.donations.domain.money import euro, require_euro
from services.donations.domain.pledge import (
    GoodsReceipt,
    InstalmentState,
    PaymentReference,
    Pledge,
    Reversal,
    instalment_states,
    make_pledge,
    pay,
    payment_method,
    reference_id,
)
from services.donations.gift_import import GiftImport, GiftImportReport
from services.identity.domain import Access, Actor
from services.kernel.clock import Clock
from services.kernel.errors import ConcurrencyConflict, DomainError, InvalidInput, NotFound
from services.kernel.eventstore import ServiceApplication
from services.kernel.idempotency import PendingRequest
from services.privacy.application import PrivacyVault
from services.privacy.domain import PersonErased

ROME = ZoneInfo("Europe/Rome")
# A payment touches its pledge and its fund: concurrent payments to one fund retry a few times.
_PAYMENT_ATTEMPTS = 5
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
    details: PledgeDetails | None = None  # gifts: what the pledge's page shows besides


# gifts
@dataclass(frozen=True)
class PledgeDetails:
    """A pledge's history as its page shows it: when it was made, what of goods, each payment's time, each
    reversal and goods delivery, the instalments with what is paid of each, and the cancellation."""

    made_at: datetime
    description: str | None
    received_value: Decimal
    payments_received_at: dict[UUID, datetime]
    reversals: tuple[Reversal, ...]
    goods: tuple[GoodsReceipt, ...]
    instalments: tuple[InstalmentState, ...]
    cancelled_at: datetime | None
    cancel_reason: str | None
# (end of gifts)


@dataclass(frozen=True)
class FundView:
    id: UUID
    name: str
    closed: bool
    balance: Decimal
    disbursed: Decimal
    version: int


@dataclass(frozen=True)
class DonorView:
    id: UUID
    kind: str
    details: dict[str, str]
    erased: bool


class DonationsApplication(ServiceApplication):
    name = "donations"
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Fund: FUND_SNAPSHOT_INTERVAL}

    def __init__(self, env: dict[str, str], vault: PrivacyVault, clock: Clock | None = None,
                 search_key: bytes | None = None) -> None:
        super().__init__(env, clock)
        self.vault = vault
        self.gift_import = GiftImport(self)
        # The donor search index's digests are keyed with the installation's secret (services.kernel.secrets);
        # without one (unit tests) a fresh key: the index then lives as long as this application.
        self.keys = DonorKeys(search_key or secrets.token_bytes(32))

    def register_donor(self, kind: str, details: dict[str, str], *, consents: Collection[tuple[str, str]] = (),
                       by: Actor | None = None, once: PendingRequest | None = None) -> UUID:
        """A new donor, their details in the vault and their search keys in the index (one save); `consents` are
        (purpose, source) pairs given now, recorded in the vault by `by`."""
        donor = Donor(parse_donor_kind(kind).value, registered_at=self.clock.now())
        index = donor_index.entries(self, donor.id, details, strict=True)  # a phone that cannot be read: refused
        if consents and by is None:
            raise InvalidInput("consents need the person who records them")
        with self.vault.new_people({donor.id: details}, self.name, self.existing):
            self.save(donor, *index, once=once)
        for purpose, source in consents:
            assert by is not None
            self.vault.record_consent(donor.id, purpose, source, self.clock.now(), by=by)
        return donor.id

    def create_fund(self, name: str, *, once: PendingRequest | None = None) -> UUID:
        fund = Fund(fund_name(name), created_at=self.clock.now())
        self.save(fund, once=once)
        return fund.id

    def rename_fund(self, fund_id: UUID, name: str, *, once: PendingRequest | None = None) -> None:
        fund = self.get(fund_id, Fund)
        fund.rename(name, renamed_at=self.clock.now())
        self.save(fund, once=once)

    def close_fund(self, fund_id: UUID, *, once: PendingRequest | None = None) -> None:
        fund = self.get(fund_id, Fund)
        fund.close(closed_at=self.clock.now())
        self.save(fund, once=once)

    def disburse(
        self, fund_id: UUID, amount: Decimal, purpose: str, document: str, currency: str = "EUR",
        disbursed_at: datetime | None = None, *, once: PendingRequest | None = None,
    ) -> UUID:
        require_euro(currency)
        fund = self.get(fund_id, Fund)
        disbursement_id = uuid4()
        fund.disburse(disbursement_id, amount, self._past(disbursed_at, "disbursed_at"), purpose, document)
        self.save(fund, once=once)
        return disbursement_id

    def make_pledge(
        self, donor_id: UUID, fund_id: UUID, kind: str, amount: Decimal, currency: str = "EUR", *,
        once: PendingRequest | None = None, **links: Any,
    ) -> UUID:
        return self.record_pledge(donor_id, fund_id, kind, amount, currency, once=once, **links).id

    def record_pledge(
        self, donor_id: UUID, fund_id: UUID, kind: str, amount: Decimal, currency: str = "EUR", *,
        once: PendingRequest | None = None, **links: Any,
    ) -> PledgeView:
        """`make_pledge`, answered with the pledge as saved (the route's answer, without reading it again)."""
        require_euro(currency)
        found = self.get_together([donor_id, fund_id])  # one round trip for both (the fund from its snapshot)
        if not isinstance(found.get(donor_id), Donor):
            raise NotFound(f"donor {donor_id} not found")
        fund = found.get(fund_id)
        if not isinstance(fund, Fund):
            raise NotFound(f"fund {fund_id} not found")
        if self.vault.is_erased(donor_id):
            raise DonorErased(f"donor {donor_id} was erased; register the donor again to take a new pledge")
        fund.require_open()
        pledge = make_pledge(donor_id, fund_id, kind, amount, self.clock.now(), **links)
        self.save(pledge, donor_index.pledge_entry(donor_id, pledge.id), once=once)
        return self.pledge_view(pledge)

    def receive_payment(
        self, pledge_id: UUID, amount: Decimal, method: str, reference: str, currency: str = "EUR",
        received_at: datetime | None = None, *, mandate: str | None = None, once: PendingRequest | None = None,
    ) -> PaymentRecorded:
        """A payment on a pledge; with `mandate`, also the gift of the regular commitment holding that mandate."""
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
            commitment = None if mandate is None else self._commitment_of(mandate, pledge.donor_id)
            claim = pay(pledge, amount, method, reference, at)
            payment_id = claim.payment_id
            fund.credit(pledge.id, payment_id, claim.amount, at)
            if commitment is not None:
                commitment.match(payment_id, pledge.id, claim.amount, at.astimezone(ROME).date())
            try:
                self.save(pledge, fund, claim, *([commitment] if commitment else []), once=once)
            except ConcurrencyConflict:
                continue  # the fund moved, or the same reference was saved just now: look again
            return PaymentRecorded(payment_id, duplicate=False)
        raise ConcurrencyConflict("the fund is receiving many payments at once; retry this payment")

    def import_gifts(self, binary: BinaryIO, *, once: PendingRequest | None = None) -> GiftImportReport:
        """Gifts already received (a payment provider's or bank's export), each line a pledge made and paid."""
        return self.gift_import.run(binary, once=once)

    def preview_gift_import(self, binary: BinaryIO) -> GiftImportReport:
        """What importing the export would do, line by line, with nothing stored."""
        return self.gift_import.run(binary, preview=True)

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
        reversed_at: datetime | None = None, *, once: PendingRequest | None = None,
    ) -> None:
        require_euro(currency)
        amount, at = euro(amount), self._past(reversed_at, "reversed_at")
        for _ in range(_PAYMENT_ATTEMPTS):
            pledge = self.get(pledge_id, Pledge)
            fund = self.get(pledge.fund_id, Fund)
            pledge.reverse_payment(payment_id, amount, at, reason)
            fund.debit(pledge.id, payment_id, amount, at)
            try:
                self.save(pledge, fund, once=once)
            except ConcurrencyConflict:
                continue
            return
        raise ConcurrencyConflict("the fund is receiving many payments at once; retry this reversal")

    def cancel_pledge(self, pledge_id: UUID, reason: str, *, once: PendingRequest | None = None) -> None:
        pledge = self.get(pledge_id, Pledge)
        pledge.cancel(self.clock.now(), reason)
        self.save(pledge, once=once)

    def receive_goods(self, pledge_id: UUID, quantity: int, *, once: PendingRequest | None = None) -> UUID:
        pledge = self.get(pledge_id, Pledge)
        receipt_id = uuid4()
        pledge.receive_goods(receipt_id, quantity, self.clock.now())
        self.save(pledge, once=once)
        return receipt_id

    def pledge(self, pledge_id: UUID, on: date | None = None) -> PledgeView:
        return self.pledge_view(self.get(pledge_id, Pledge), on)

    def pledge_view(self, p: Pledge, on: date | None = None) -> PledgeView:
        on = on or self.clock.now().astimezone(ROME).date()
        payments = tuple((pid, x.amount, x.method, x.reference, x.reversed) for pid, x in p.payments.items())
        return PledgeView(
            p.id, p.donor_id, p.fund_id, p.kind.value, p.amount, p.paid, p.outstanding, p.status(on).value,
            p.campaign_id, tuple(p.instalments), payments, p.received_quantity, p.quantity, p.version,
            details=PledgeDetails(
                p.made_at, p.description, p.received_value, {pid: x.received_at for pid, x in p.payments.items()},
                tuple(p.reversals), tuple(p.goods), tuple(instalment_states(p, on)),
                p.cancellation[0] if p.cancellation else None, p.cancellation[1] if p.cancellation else None),
        )

    def fund(self, fund_id: UUID) -> FundView:
        f = self.get(fund_id, Fund)
        return FundView(f.id, f.name, f.closed, f.balance, f.disbursed, f.version)

    def donor(self, donor_id: UUID, access: Access, fields: Collection[str] | None = None) -> DonorView:
        """The donor with the personal `fields` shown to `access` (all when None): the access trail names
        exactly those, so a caller asks only for what it shows."""
        d = self.get(donor_id, Donor)
        try:
            return DonorView(d.id, d.kind.value, self.vault.get(d.id, access, fields=fields), erased=False)
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

    # regular giving: commitments, their mandates and their gifts
    def set_up_commitment(
        self, donor_id: UUID, fund_id: UUID, amount: Decimal, frequency: str, day: int, start: date,
        end: date | None = None, method: str = "sepa", mandate: str | None = None,
        mandate_signed_on: date | None = None, *, once: PendingRequest | None = None,
    ) -> UUID:
        """A donor's standing commitment; its mandate reference is claimed in the same save, so a reference held
        by another donor's commitment is refused in every process."""
        now = self.clock.now()
        commitment = set_up(donor_id, fund_id, amount, frequency, day, start, end, method, mandate,
                            mandate_signed_on, now, now.astimezone(ROME).date())
        self.get(donor_id, Donor)
        if self.vault.is_erased(donor_id):
            raise DonorErased(f"donor {donor_id} was erased; register the donor again to set up a regular gift")
        self.get(fund_id, Fund).require_open()
        for _ in range(_PAYMENT_ATTEMPTS):
            claim = None if commitment.mandate is None else self._claim_mandate(commitment)
            index_id = donor_commitments_id(donor_id)
            index = self.get(index_id, DonorCommitments) if self.exists(index_id) else DonorCommitments(donor_id)
            index.add(commitment.id)
            try:
                self.save(commitment, index, *([claim] if claim else []), once=once)
            except ConcurrencyConflict:
                # Another commitment of this donor, or a claim of this mandate, was saved just now: look again.
                commitment = self._replayable(commitment)
                continue
            return commitment.id
        raise ConcurrencyConflict("this donor's commitments changed many times at once; retry")

    @staticmethod
    def _replayable(commitment: Commitment) -> Commitment:
        """The same new commitment again (a failed save consumed its pending event)."""
        return Commitment(commitment.donor_id, commitment.fund_id, commitment.amount, commitment.frequency,
                          commitment.day, commitment.start, commitment.end, commitment.method, commitment.mandate,
                          commitment.mandate_signed_on, commitment.set_up_at, commitment.set_up_on)

    def _claim_mandate(self, commitment: Commitment) -> MandateClaim:
        assert commitment.mandate is not None
        key = mandate_id(commitment.mandate)
        if not self.exists(key):
            return MandateClaim(commitment.mandate, commitment.donor_id, commitment.id)
        claim = self.get(key, MandateClaim)
        if claim.donor_id != commitment.donor_id:
            raise MandateTaken(
                f"mandate reference {commitment.mandate} is used by another donor's commitment; check the mandate "
                "id on the signed form")
        holder = self.get(claim.commitment_id, Commitment)
        if holder.ended_on is None:
            raise MandateTaken(
                f"mandate reference {commitment.mandate} is used by this donor's commitment {holder.id}; end it "
                "first, or change its amount instead")
        claim.move(commitment.id)
        return claim

    def _commitment_of(self, mandate: str, donor_id: UUID) -> Commitment:
        """The commitment holding `mandate`, which must be this donor's."""
        reference = mandate_reference(mandate)
        if not self.exists(mandate_id(reference)):
            raise MandateNotKnown(
                f"no regular gift has mandate reference {reference}; set up the commitment first, or leave the "
                "mandate reference out")
        claim = self.get(mandate_id(reference), MandateClaim)
        if claim.donor_id != donor_id:
            raise MandateTaken(
                f"mandate reference {reference} belongs to another donor's regular gift, not to donor {donor_id}")
        return self.get(claim.commitment_id, Commitment)

    def receive_regular_gift(
        self, donor_id: UUID, fund_id: UUID, amount: Decimal, method: str, reference: str, received_at: datetime,
        mandate: str, campaign_id: str | None = None, *, once: PendingRequest | None = None, preview: bool = False,
    ) -> PaymentRecorded:
        """An imported gift carrying a mandate reference: the pledge made and paid and the commitment's gift, in one
        save (the gift import's lines with a mandate_reference). A `preview` judges it the same way and saves
        nothing."""
        for _ in range(_PAYMENT_ATTEMPTS):
            if self.exists(reference_id(method, reference)):
                claimed = self.get(reference_id(method, reference), PaymentReference)
                if claimed.amount != amount:
                    raise PaymentReferenceTaken(
                        f"{method} reference {reference!r} was already recorded for {claimed.amount} on pledge "
                        f"{claimed.pledge_id}; check the statement line")
                return PaymentRecorded(claimed.payment_id, duplicate=True)
            commitment = self._commitment_of(mandate, donor_id)
            if self.vault.is_erased(donor_id):
                raise DonorErased(f"donor {donor_id} was erased; register the donor again to record a gift")
            fund = self.get(fund_id, Fund)
            fund.require_open()
            pledge = make_pledge(donor_id, fund_id, "money", amount, received_at, campaign_id=campaign_id)
            claim = pay(pledge, amount, method, reference, received_at)
            fund.credit(pledge.id, claim.payment_id, claim.amount, received_at)
            commitment.match(claim.payment_id, pledge.id, claim.amount, received_at.astimezone(ROME).date())
            if preview:  # gifts: the import's preview
                return PaymentRecorded(claim.payment_id, duplicate=False)
            try:
                self.save(pledge, fund, claim, commitment, donor_index.pledge_entry(donor_id, pledge.id), once=once)
            except ConcurrencyConflict:
                continue
            return PaymentRecorded(claim.payment_id, duplicate=False)
        raise ConcurrencyConflict("the fund is receiving many payments at once; retry this gift")

    def pause_commitment(self, commitment_id: UUID, *, once: PendingRequest | None = None) -> None:
        commitment = self.get(commitment_id, Commitment)
        commitment.pause(self._today(), self.clock.now())
        self.save(commitment, once=once)

    def resume_commitment(self, commitment_id: UUID, *, once: PendingRequest | None = None) -> None:
        commitment = self.get(commitment_id, Commitment)
        commitment.resume(self._today(), self.clock.now())
        self.save(commitment, once=once)

    def change_commitment(self, commitment_id: UUID, amount: Decimal, effective_from: date, *,
                          once: PendingRequest | None = None) -> None:
        commitment = self.get(commitment_id, Commitment)
        commitment.change_amount(amount, effective_from, self.clock.now())
        self.save(commitment, once=once)

    def end_commitment(self, commitment_id: UUID, reason: str, *, once: PendingRequest | None = None) -> None:
        commitment = self.get(commitment_id, Commitment)
        commitment.end_commitment(self._today(), reason, self.clock.now())
        self.save(commitment, once=once)

    def lapse_commitment(self, commitment_id: UUID, periods: int) -> bool:
        """Lapse the commitment if `periods` expected gifts in a row are missing (the lapse job's step)."""
        commitment = self.get(commitment_id, Commitment)
        if not commitment.lapse_if_missed(periods, self._today(), self.clock.now()):
            return False
        self.save(commitment)
        return True

    def commitment(self, commitment_id: UUID, months_ahead: int = 12) -> CommitmentView:
        c = self.get(commitment_id, Commitment)
        today = self._today()
        through = date(today.year + (today.month - 1 + months_ahead) // 12, (today.month - 1 + months_ahead) % 12 + 1,
                       1)
        return CommitmentView(
            c.id, c.donor_id, c.fund_id, c.amount, c.frequency, c.day, c.start, c.end, c.method, c.mandate,
            c.mandate_signed_on, c.status.value, c.ended_on, c.end_reason, tuple(c.amounts),
            tuple(c.schedule(today, through)), tuple(c.extras), c.version)

    def donor_commitments(self, donor_id: UUID) -> list[CommitmentView]:
        self.get(donor_id, Donor)
        index_id = donor_commitments_id(donor_id)
        if not self.exists(index_id):
            return []
        return [self.commitment(cid) for cid in self.get(index_id, DonorCommitments).commitments]

    def _today(self) -> date:
        return self.clock.now().astimezone(ROME).date()


@dataclass(frozen=True)
class CommitmentView:
    id: UUID
    donor_id: UUID
    fund_id: UUID
    amount: Decimal
    frequency: str
    day: int
    start: date
    end: date | None
    method: str
    mandate: str | None
    mandate_signed_on: date | None
    status: str
    ended_on: date | None
    end_reason: str | None
    amounts: tuple[tuple[date, Decimal], ...]
    schedule: tuple[ScheduledPeriod, ...]
    extras: tuple[MatchedGift, ...]
    version: int
