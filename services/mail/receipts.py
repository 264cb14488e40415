"""What the mail service reads of the receipts (the read side's numbered tax receipts and their PDF): a port the
composition root adapts (services/main.py), as the campaigns one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from services.identity.domain import Access


@dataclass(frozen=True)
class ReceiptFile:
    filename: str  # ricevuta-2026-000042.pdf
    pdf: bytes


class Receipts(Protocol):
    def receipts(self, donor_id: UUID, year: int, by: Access) -> Sequence[ReceiptFile]:
        """The donor's numbered receipts of `year` as PDF documents, in number order (none: an empty list); each
        read of the donor's name and tax code is an access event of `by`."""

    def donors(self, year: int) -> Sequence[UUID]:
        """Every donor with a numbered receipt in `year`."""


class NoReceipts:
    """Before the composition root wires the read side (unit tests of the thank-yous)."""

    def receipts(self, donor_id: UUID, year: int, by: Access) -> Sequence[ReceiptFile]:
        return ()

    def donors(self, year: int) -> Sequence[UUID]:
        return ()
