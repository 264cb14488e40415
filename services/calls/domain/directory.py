"""Directory: useful numbers of one Italian municipality (by ISTAT code), used when a call is redirected."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import NotFound

_MUNICIPALITY = uuid5(NAMESPACE_URL, "angeli:calls:municipality")


class NoNumberForCategory(NotFound):
    pass


def search_key(name: str) -> str:
    """Case- and accent-insensitive form of a name: 'Cantù' and 'CANTU' match."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def municipality_id(istat_code: str) -> UUID:
    return uuid5(_MUNICIPALITY, istat_code)


class Municipality(Aggregate):
    """A municipality and its numbers by category ("health", "social services", ...); numbers are only added."""

    @staticmethod
    def create_id(istat_code: str, name: str, listed_at: datetime) -> UUID:
        return municipality_id(istat_code)

    @event("Listed")
    def __init__(self, istat_code: str, name: str, listed_at: datetime) -> None:
        self.istat_code = istat_code
        self.name = name
        self.numbers: list[tuple[str, str]] = []

    def add_number(self, category: str, number: str, added_at: datetime) -> bool:
        """Add a number; False (and no event) when the same number is already listed under that category."""
        if (category, number) in self.numbers:
            return False
        self._add_number(category, number, added_at)
        return True

    @event("NumberAdded")
    def _add_number(self, category: str, number: str, added_at: datetime) -> None:
        self.numbers.append((category, number))

    def number_for(self, category: str) -> str:
        for listed_category, number in self.numbers:
            if listed_category == category:
                return number
        raise NoNumberForCategory(f"{self.name} ({self.istat_code}) has no {category!r} number in the directory")
