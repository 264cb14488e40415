"""The donations service's donor indexes — search keys (keyed digests) → donors, donor → pledges — the queries
that read them, and the backfill that fills them for donors and pledges stored before they existed.

Entries (services.kernel.keyindex) are saved in the same transaction as the donor or pledge they index, so only
older records can be missing. The backfill reads the donors' and pledges' creation events, reads each unindexed
donor's details through the vault (one access by the system, purpose BACKFILL), and saves the missing entries.
Running it again changes nothing: a donor is marked indexed (INDEXED) in the same save as its keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from services.donations.domain.donor import Donor
from services.donations.domain.donor_keys import search_by
from services.donations.domain.fund import Fund
from services.donations.domain.pledge import Pledge
from services.identity.domain import SYSTEM, Access
from services.kernel import keyindex, upgrades
from services.kernel.errors import ConcurrencyConflict
from services.privacy.domain import Consent, PersonErased

if TYPE_CHECKING:
    from services.donations.application import DonationsApplication

INDEXED = "donor-search:indexed"  # every donor whose search keys are saved (the backfill skips them)
REGISTERED = get_topic(getattr(Donor, "Registered"))  # noqa: B009
MADE = get_topic(getattr(Pledge, "Made"))  # noqa: B009
UPGRADE = "donations: donors in the search index, pledges in their donor's list"
BACKFILL = "donor search index backfill"
BATCH = 500
MAX_LIMIT = 100


def search_key(digest: str) -> str:
    return f"donor-search:{digest}"


def pledges_key(donor_id: UUID) -> str:
    return f"donor-pledges:{donor_id}"


def entries(app: DonationsApplication, donor_id: UUID, details: dict[str, str] | None, *,
            strict: bool) -> list[keyindex.IndexEntry]:
    """A new donor's index entries (its search keys and the INDEXED mark), to save with the donor."""
    keys = app.keys.of_details(details, strict=strict) if details else []
    return [*(keyindex.entry(search_key(k), donor_id) for k in keys), keyindex.entry(INDEXED, donor_id)]


def pledge_entry(donor_id: UUID, pledge_id: UUID) -> keyindex.IndexEntry:
    """The pledge in its donor's list, to save with the pledge."""
    return keyindex.entry(pledges_key(donor_id), pledge_id)


def events_of(items: Sequence[keyindex.IndexEntry]) -> list[DomainEventProtocol[UUID]]:
    return [e for item in items for e in item.collect_events()]


@dataclass(frozen=True)
class FoundDonor:
    id: UUID
    kind: str
    name: str | None


@dataclass(frozen=True)
class DonorSearch:
    by: str
    total: int
    donors: tuple[FoundDonor, ...]


def search(app: DonationsApplication, by: str, query: str, access: Access, limit: int = 20) -> DonorSearch:
    """Donors whose `by` matches `query` (a name: every word of it), at most `limit`, by name; never an erased one.
    Each donor shown
    is a read of their name from the vault, recorded with the searcher and the search's purpose; the query's
    own text is personal data and goes nowhere but into digests."""
    field = search_by(by)
    found = keyindex.common_values(app, [search_key(d) for d in app.keys.of_query(field, query)])
    # An erased donor is not found: their digests outlive them in the index, and a search by their old number
    # must not say that someone had it.
    ids = sorted((i for i in found if not app.vault.is_erased(i)), key=str)
    purpose = Access(access.actor, f"{access.purpose} (donor search by {field.value})")
    shown: list[FoundDonor] = []
    for donor in app.read_many(ids[:max(1, min(limit, MAX_LIMIT))], Donor, skip_missing=True):
        try:
            name: str | None = app.vault.get(donor.id, purpose, fields=("name",)).get("name")
        except PersonErased:  # erased since the check above
            continue
        except KeyError:
            name = None
        shown.append(FoundDonor(donor.id, donor.kind.value, name))
    shown.sort(key=lambda d: ((d.name or "").casefold(), str(d.id)))
    return DonorSearch(field.value, len(ids), tuple(shown))


@dataclass(frozen=True)
class PaymentLine:
    id: UUID
    amount: Decimal
    method: str
    reference: str
    received_at: datetime
    reversed: Decimal


@dataclass(frozen=True)
class DonorPledge:
    id: UUID
    fund_id: UUID
    fund_name: str
    kind: str
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    status: str
    made_at: datetime
    campaign_id: str | None
    description: str | None
    quantity: int | None
    received_quantity: int
    received_value: Decimal
    instalments: tuple[tuple[date, Decimal], ...]
    payments: tuple[PaymentLine, ...]


def donor_pledges(app: DonationsApplication, donor_id: UUID, on: date) -> list[DonorPledge]:
    """A donor's pledges, newest first, each with its status on `on`, its payments and reversals and its goods."""
    app.get(donor_id, Donor)
    pledges = app.read_many(keyindex.values(app, pledges_key(donor_id)), Pledge, skip_missing=True)
    funds = {f.id: f for f in app.read_many(sorted({p.fund_id for p in pledges}, key=str), Fund, skip_missing=True)}
    listed = [DonorPledge(
        p.id, p.fund_id, funds[p.fund_id].name if p.fund_id in funds else "", p.kind.value, p.amount, p.paid,
        p.outstanding, p.status(on).value, p.made_at, p.campaign_id, p.description, p.quantity, p.received_quantity,
        p.received_value, tuple(p.instalments),
        tuple(PaymentLine(pid, x.amount, x.method, x.reference, x.received_at, x.reversed)
              for pid, x in sorted(p.payments.items(), key=lambda item: item[1].received_at)),
    ) for p in pledges if p.donor_id == donor_id]
    return sorted(listed, key=lambda p: (p.made_at, str(p.id)), reverse=True)


# --- backfill ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Backfilled:
    donors_indexed: int
    pledges_listed: int


def backfill(app: DonationsApplication) -> Backfilled:
    """Index every donor and list every pledge stored without their entries; idempotent."""
    created = upgrades.created(app, (REGISTERED, MADE), BATCH)
    return Backfilled(_index_donors(app, created[REGISTERED]), _list_pledges(app, created[MADE]))


def backfill_once(app: DonationsApplication) -> Backfilled | None:
    """At start: the backfill, if this store has never had it (one lookup when it has); an empty store needs none."""
    return upgrades.run_and_record(app, UPGRADE, lambda: backfill(app)) if upgrades.needed(app, UPGRADE) else None



def _index_donors(app: DonationsApplication, ids: list[UUID]) -> int:
    indexed = 0
    reader = Access(SYSTEM, BACKFILL)
    for chunk in upgrades.chunks(ids, BATCH):
        marked = app.existing(keyindex.entry_ids(INDEXED, chunk))
        for donor_id in chunk:
            if keyindex.IndexEntry.create_id(INDEXED, donor_id) in marked:
                continue
            try:
                details: dict[str, str] | None = app.vault.get(donor_id, reader)
            except (PersonErased, KeyError):
                details = None  # nothing to find them by: marked indexed all the same
            with suppress(ConcurrencyConflict):  # indexed meanwhile by another process's backfill
                app.save(*entries(app, donor_id, details, strict=False))
                indexed += 1
    return indexed


def _list_pledges(app: DonationsApplication, ids: list[UUID]) -> int:
    listed = 0
    for chunk in upgrades.chunks(ids, BATCH):
        pledges = app.read_many(chunk, Pledge, skip_missing=True)
        wanted = {keyindex.IndexEntry.create_id(pledges_key(p.donor_id), p.id): p for p in pledges}
        have = app.existing(list(wanted))
        missing = [pledge_entry(p.donor_id, p.id) for entry_id, p in wanted.items() if entry_id not in have]
        if missing:
            with suppress(ConcurrencyConflict):  # a live pledge cannot collide (its entry is saved with it): a
                app.save(*missing)               # second backfill did; the next start finishes what is left
                listed += len(missing)
    return listed



def consents(app: DonationsApplication, donor_id: UUID) -> list[Consent]:
    """The donor's consents (purpose per channel), oldest first; NotFound for an unknown donor."""
    app.get(donor_id, Donor)
    return app.vault.consents(donor_id)
