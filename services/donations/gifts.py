"""Gift exports (PayPal, Stripe, SEPA, bank statements) read as CSV: one gift already received per line.

A first pass proves the file readable (UTF-8 with or without a BOM, ';' or ',' separated, a header naming
the needed columns, at most MAX_ROWS rows); a second yields parsed gifts and per-line problems a batch at a
time, so memory stays bounded by the batch size whatever the file size. Pure: the caller passes `now`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import BinaryIO
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from services.donations.domain.commitment import mandate_reference
from services.donations.domain.donor import parse_donor_kind
from services.donations.domain.money import euro, require_euro
from services.donations.domain.pledge import payment_method
from services.kernel import csvfile
from services.kernel.clock import plausible_instant
from services.kernel.csvfile import Batch, CsvPlan, Problem, UnreadableCsv
from services.kernel.errors import DomainError, InvalidInput

__all__ = ["Batch", "CsvPlan", "DonorDetails", "Gift", "Problem", "UnreadableCsv", "batches", "inspect", "parse"]

ROME = ZoneInfo("Europe/Rome")
MAX_ROWS = 200_000
COLUMNS = ("donor_id", "donor_kind", "donor_name", "donor_email", "donor_phone", "donor_tax_code", "fund_id",
           "amount", "currency", "method", "reference", "received_at", "campaign_id", "mandate_reference")
REQUIRED = ("fund_id", "amount", "method", "reference", "received_at")
_ITALIAN_AMOUNT = re.compile(r"\d{1,3}(\.\d{3})*,\d{1,2}|\d+,\d{1,2}")


class GiftNotValid(InvalidInput):
    """One line of a gift file that cannot be imported as it stands."""


class DonorDetails(BaseModel):
    """A new donor's kind and personal data (which goes to the privacy vault, never into events)."""

    model_config = ConfigDict(extra="forbid")
    kind: str = "person"
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, min_length=3, max_length=40)
    tax_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{11,16}$")

    def personal_data(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.model_dump(exclude={"kind"}).items() if v is not None}


@dataclass(frozen=True)
class Gift:
    line: int
    donor_id: UUID | None  # an existing donor, or None with `donor` naming a new one
    donor: DonorDetails | None
    fund_id: UUID
    amount: Decimal
    method: str
    reference: str
    received_at: datetime
    campaign_id: UUID | None
    mandate_reference: str | None = None  # a regular gift's mandate: the line is that commitment's gift


def inspect(binary: BinaryIO) -> CsvPlan:
    """Pass 1: UTF-8 throughout, a header with the needed columns, 1 to MAX_ROWS rows."""
    return csvfile.inspect(binary, _columns, MAX_ROWS, ",".join(REQUIRED), "gifts")


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().casefold() for h in header]
    found = {name: names.index(name) for name in COLUMNS if name in names}
    missing = [name for name in REQUIRED if name not in found]
    if "donor_id" not in found and "donor_name" not in found:
        missing.append("donor_id or donor_name")
    if missing:
        raise UnreadableCsv(f"the header lacks {', '.join(missing)}; columns are {', '.join(COLUMNS)}")
    return found


def batches(binary: BinaryIO, plan: CsvPlan, now: datetime, size: int = 500) -> Iterator[Batch[Gift]]:
    """Pass 2: parsed gifts and per-line problems, `size` lines at a time."""
    return csvfile.batches(binary, plan, lambda line, cell: parse(line, cell, now), size)


def parse(line: int, cell: Callable[[str], str], now: datetime) -> Gift | Problem:
    """One line as a gift, or the first thing wrong with it."""
    try:
        donor_id, donor = _donor(cell)
        require_euro(cell("currency") or "EUR")
        amount = cell("amount")
        if _ITALIAN_AMOUNT.fullmatch(amount):
            amount = amount.replace(".", "").replace(",", ".")
        method = payment_method(cell("method").casefold().replace(" ", "_").replace("-", "_")).value
        reference = cell("reference")
        if not 1 <= len(reference) <= 140:
            raise GiftNotValid(f"reference must be 1 to 140 characters, got {len(reference)}")
        campaign_id = _uuid(cell("campaign_id"), "campaign_id") if cell("campaign_id") else None
        mandate = mandate_reference(cell("mandate_reference")) if cell("mandate_reference") else None
        if mandate and donor_id is None:
            raise GiftNotValid("a line with a mandate_reference names its donor by donor_id (the commitment's donor)")
        return Gift(line, donor_id, donor, _uuid(cell("fund_id"), "fund_id"), euro(amount), method, reference,
                    received_at(cell("received_at"), now), campaign_id, mandate)
    except (InvalidInput, DomainError) as error:
        return Problem(line, error.message)


def _donor(cell: Callable[[str], str]) -> tuple[UUID | None, DonorDetails | None]:
    named = any(cell(f"donor_{k}") for k in ("name", "email", "phone", "tax_code"))
    if cell("donor_id"):
        if named:
            raise GiftNotValid("give either donor_id (a registered donor) or the new donor's details, not both")
        return _uuid(cell("donor_id"), "donor_id"), None
    if not cell("donor_name"):
        raise GiftNotValid("donor_id or donor_name is required")
    kind = parse_donor_kind(cell("donor_kind") or "person").value
    fields = {k: cell(f"donor_{k}") for k in ("name", "email", "phone", "tax_code") if cell(f"donor_{k}")}
    try:
        return None, DonorDetails.model_validate({"kind": kind, **fields})
    except ValidationError as error:
        first = error.errors()[0]
        raise GiftNotValid(f"donor_{first['loc'][0]}: {first['msg']}") from None


def _uuid(text: str, what: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise GiftNotValid(f"{what} must be an id such as 5b0c1f0e-0000-4000-8000-000000000000, got {text!r}") from None


def received_at(text: str, now: datetime) -> datetime:
    """An ISO date-time with its offset, or a plain date (midnight in Rome); never in the future."""
    try:
        at = datetime.combine(date.fromisoformat(text), time(), ROME) if len(text) == 10 else \
            datetime.fromisoformat(text)
    except ValueError:
        raise GiftNotValid(
            f"received_at must be a date (2026-11-20) or a date-time with offset (2026-11-20T10:00:00+01:00), "
            f"got {text!r}") from None
    if at.tzinfo is None:
        raise GiftNotValid(f"received_at must carry a time zone, e.g. 2026-11-20T10:00:00+01:00; got {text!r}")
    if at > now:
        raise GiftNotValid(f"received_at must not be in the future, got {text!r}")
    try:
        return plausible_instant(at)
    except ValueError as error:
        raise GiftNotValid(f"received_at {error}, got {text!r}") from None
