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
from services.donations.domain.donor import Donor, parse_donor_kind
from services.donations.domain.donor_keys import DonorKeys
from services.donations.domain.fund import Fund, fund_name
from services.donations.domain.money import euro, require_euro
from services.donations.domain.pledge import (
    PaymentReference,
    Pledge,
    make_pledge,
    pay,
    payment_method,
    reference_id,
)
from services.donations.gift_import import GiftImport, GiftImportReport
from services.identity.domain import Access, Actor
from services.kernel.clock import Clock
from services.kernel.errors import ConcurrencyConflict, DomainError, InvalidInput
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
        require_euro(currency)
        self.get(donor_id, Donor)
        if self.vault.is_erased(donor_id):
            raise DonorErased(f"donor {donor_id} was erased; register the donor again to take a new pledge")
        self.get(fund_id, Fund).require_open()
        pledge = make_pledge(donor_id, fund_id, kind, amount, self.clock.now(), **links)
        self.save(pledge, donor_index.pledge_entry(donor_id, pledge.id), once=once)
        return pledge.id

    def receive_payment(
        self, pledge_id: UUID, amount: Decimal, method: str, reference: str, currency: str = "EUR",
        received_at: datetime | None = None, *, once: PendingRequest | None = None,
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
            claim = pay(pledge, amount, method, reference, at)
            payment_id = claim.payment_id
            fund.credit(pledge.id, payment_id, claim.amount, at)
            try:
                self.save(pledge, fund, claim, once=once)
            except ConcurrencyConflict:
                continue  # the fund moved, or the same reference was saved just now: look again
            return PaymentRecorded(payment_id, duplicate=False)
        raise ConcurrencyConflict("the fund is receiving many payments at once; retry this payment")

    def import_gifts(self, binary: BinaryIO, *, once: PendingRequest | None = None) -> GiftImportReport:
        """Gifts already received (a payment provider's or bank's export), each line a pledge made and paid."""
        return self.gift_import.run(binary, once=once)

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
