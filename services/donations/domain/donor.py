"""Donor: a person or a company known by id only; name, phone, e-mail and tax code live in the vault."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import InvalidInput


class DonorKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class UnknownDonorKind(InvalidInput):
    pass


def parse_donor_kind(kind: str) -> DonorKind:
    try:
        return DonorKind(kind)
    except ValueError:
        raise UnknownDonorKind(f"donor kind must be 'person' or 'company', got {kind!r}") from None


class Donor(Aggregate):
    """Someone who gives; every event about their gifts names this id and nothing else about them."""

    @event("Registered")
    def __init__(self, kind: str, registered_at: datetime) -> None:
        self.kind = DonorKind(kind)
        self.registered_at = registered_at
