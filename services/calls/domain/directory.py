"""Directory: useful numbers of one Italian municipality (by ISTAT code), used when a call is redirected.

Numbers are listed under a known category (CATEGORIES; Italian names and a few short forms are accepted and
stored as the category's English key, as protocols name it in `redirect_to`)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

import phonenumbers
from eventsourcing.domain import Aggregate, event

from services.kernel.errors import InvalidInput, NotFound

_MUNICIPALITY = uuid5(NAMESPACE_URL, "angeli:calls:municipality")
_ISTAT = re.compile(r"^\d{6}$")

# The directory's categories: key -> the other names it is given (Italian, short forms), case and accents aside.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "health": ("sanità", "salute", "asl", "ats"),
    "social services": ("social", "servizi sociali", "sociale"),
    "civil protection": ("protezione civile",),
    "emergency": ("emergenza", "emergenze"),
    "police": ("polizia", "polizia locale", "carabinieri"),
    "anti-violence": ("antiviolenza", "centro antiviolenza"),
    "mental health": ("salute mentale", "centro di salute mentale", "csm"),
    "family counselling": ("consultorio", "consultorio familiare"),
}


class NoNumberForCategory(NotFound):
    pass


class InvalidDirectoryEntry(InvalidInput):
    pass


class NumberNotListed(NotFound):
    pass


def parse_istat(code: str) -> str:
    code = code.strip()
    if not _ISTAT.match(code):
        raise InvalidDirectoryEntry(f"ISTAT code must be 6 digits, got {code!r}")
    return code


def parse_name(name: str) -> str:
    """A municipality's name: 1 to 120 characters, spaces tidied."""
    tidy = " ".join(name.split())
    if not 1 <= len(tidy) <= 120:
        raise InvalidDirectoryEntry(f"municipality must be 1 to 120 characters, got {name!r}")
    return tidy


def readable(number: str) -> str:
    """A listed number as people write it: '+390285781' -> '02 8578 1'; a short number (118) as it is."""
    if not number.startswith("+"):
        return number
    parsed = phonenumbers.parse(number)
    national = phonenumbers.region_code_for_number(parsed) == "IT"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL if national
                                      else phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def parse_category(name: str) -> str:
    """The category's key for any of its names ('Sanità', 'health', 'ASL' -> 'health'); unknown ones refused."""
    if not 1 <= len(name.strip()) <= 60:
        raise InvalidDirectoryEntry(f"category must be 1 to 60 characters, got {name!r}")
    key = search_key(name)
    for category, others in CATEGORIES.items():
        if key == category or key in {search_key(o) for o in others}:
            return category
    raise InvalidDirectoryEntry(f"unknown category {name!r}; the categories are {', '.join(CATEGORIES)}")


def search_key(name: str) -> str:
    """Case- and accent-insensitive form of a name: 'Cantù' and 'CANTU' match."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def municipality_id(istat_code: str) -> UUID:
    return uuid5(_MUNICIPALITY, istat_code)


class Municipality(Aggregate):
    """A municipality and its numbers by category ("health", "social services", ...); renamed, numbers added
    and removed by events (the ISTAT code is its identity and never changes)."""

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

    def rename(self, name: str, renamed_at: datetime) -> bool:
        """False (and no event) when the name is already this one."""
        if name == self.name:
            return False
        self._rename(name, renamed_at)
        return True

    @event("Renamed")
    def _rename(self, name: str, renamed_at: datetime) -> None:
        self.name = name

    def remove_number(self, category: str, number: str, removed_at: datetime) -> None:
        if (category, number) not in self.numbers:
            raise NumberNotListed(f"{self.name} ({self.istat_code}) has no {category!r} number {number}")
        self._remove_number(category, number, removed_at)

    @event("NumberRemoved")
    def _remove_number(self, category: str, number: str, removed_at: datetime) -> None:
        self.numbers.remove((category, number))

    def number_for(self, category: str) -> str:
        for listed_category, number in self.numbers:
            if listed_category == category:
                return number
        raise NoNumberForCategory(f"{self.name} ({self.istat_code}) has no {category!r} number in the directory")
