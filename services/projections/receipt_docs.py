"""Receipt documents from the read models: the year's numbered receipts (transparency), each with its ledger entry
(sequence, chain digest, payment method) and its donor's name and tax code read from the vault.

Numbers are the transparency model's (rank by position within the year, see transparency.py), counted only up to
the position that BOTH models have sealed: a receipt is documented once its ledger entry is sealed too, and a number
never changes because one model ran ahead of the other. Every donor read is an access event in the trail, with the
receipt's number in its purpose.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from services.identity.domain import Access
from services.kernel.errors import NotFound
from services.kernel.readmodel import ReadStore, Row
from services.privacy.application import PrivacyVault
from services.privacy.domain import PersonErased
from services.projections import ledger
from services.projections.receipt_pdf import ReceiptDocument

DONOR_FIELDS = ("name", "tax_code")
_COLUMNS = "position, donor_id, amount_cents, fulfilled_on, voided_on"


@dataclass(frozen=True)
class Stores:
    transparency: ReadStore
    ledger: ReadStore
    partitions: int = 1

    def sealed(self) -> int:
        return min(ledger.sealed_position(self.transparency, self.partitions),
                   ledger.sealed_position(self.ledger, self.partitions))


def number_of(year: int, ordinal: int) -> str:
    return f"{year}-{ordinal:06d}"


def one(stores: Stores, year: int, ordinal: int) -> tuple[str, Row, Row]:
    """Receipt `ordinal` of `year`: its number, its transparency row and its ledger entry; NotFound otherwise."""
    row = stores.transparency.one(
        f"SELECT {_COLUMNS} FROM tp_receipts WHERE year = ? AND position <= ? ORDER BY position LIMIT 1 OFFSET ?",
        (year, stores.sealed(), ordinal - 1))
    if row is None:
        held = count(stores, year)
        raise NotFound(f"there is no receipt {number_of(year, ordinal)}: {year} has {held} numbered receipt"
                       f"{'' if held == 1 else 's'} so far")
    return number_of(year, ordinal), row, _entries(stores.ledger, [int(row["position"])])[int(row["position"])]


def of_year(stores: Stores, year: int) -> Iterator[tuple[str, Row, Row]]:
    """The year's receipts in number order, each with its ledger entry (read 500 at a time)."""
    rows = stores.transparency.query(
        f"SELECT {_COLUMNS} FROM tp_receipts WHERE year = ? AND position <= ? ORDER BY position",
        (year, stores.sealed()))
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        entries = _entries(stores.ledger, [int(r["position"]) for r in chunk])
        for offset, row in enumerate(chunk):
            yield number_of(year, start + offset + 1), row, entries[int(row["position"])]


def count(stores: Stores, year: int) -> int:
    row = stores.transparency.one("SELECT COUNT(*) AS n FROM tp_receipts WHERE year = ? AND position <= ?",
                                  (year, stores.sealed()))
    return int(row["n"]) if row else 0


def years(stores: Stores) -> list[int]:
    """The years that have numbered receipts, the latest first."""
    rows = stores.transparency.query("SELECT DISTINCT year FROM tp_receipts WHERE position <= ? ORDER BY year DESC",
                                     (stores.sealed(),))
    return [int(r["year"]) for r in rows]


def listing(stores: Stores, year: int) -> list[dict[str, object]]:
    """The year's receipts for the office's list: number, day, amount, method, donor id; no name (no vault read)."""
    return [{"number": number, "fulfilled_on": row["fulfilled_on"], "amount": ledger.euro(int(row["amount_cents"])),
             "method": json.loads(entry["details"]).get("method", ""), "donor_id": row["donor_id"],
             "voided_on": row["voided_on"], "ledger_sequence": int(entry["sequence"])}
            for number, row, entry in of_year(stores, year)]


def _entries(store: ReadStore, positions: list[int]) -> dict[int, Row]:
    marks = ", ".join("?" for _ in positions)
    rows = store.query(f"SELECT position, sequence, hash, details FROM ledger_entries WHERE position IN ({marks})",
                       positions)
    found = {int(r["position"]): r for r in rows}
    missing = [p for p in positions if p not in found]
    if missing:  # both models are sealed past these positions: the ledger must hold each payment
        raise LookupError(f"the ledger has no entry at positions {missing[:5]} that fulfilled receipts")
    return found


def document(vault: PrivacyVault, access: Access, number: str, row: Row, entry: Row) -> ReceiptDocument:
    """The receipt's document; reading its donor's name and tax code is recorded in the access trail."""
    name, tax_code = _donor(vault, row["donor_id"], Access(access.actor, f"tax receipt {number}"))
    voided = row["voided_on"]
    return ReceiptDocument(
        number=number, issued_on=date.fromisoformat(row["fulfilled_on"]),
        amount=Decimal(ledger.euro(int(row["amount_cents"]))),
        method=str(json.loads(entry["details"]).get("method", "")), donor_name=name, donor_tax_code=tax_code,
        ledger_sequence=int(entry["sequence"]), ledger_digest=str(entry["hash"]),
        voided_on=date.fromisoformat(voided) if voided else None)


def _donor(vault: PrivacyVault, donor_id: str, access: Access) -> tuple[str | None, str | None]:
    try:
        details = vault.get(UUID(donor_id), access, fields=DONOR_FIELDS)
    except PersonErased:
        return None, None
    except KeyError:  # never stored: nothing to name
        return "—", None
    return details.get("name", "—"), details.get("tax_code")
