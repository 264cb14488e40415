"""The phone lists contact_import reads (donor lists, register checks), streamed by kernel.csvfile: a first pass
proves the file readable, a second yields rows in batches. This module says which columns a list has and what one
of its lines means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from services.campaigns.calendar import Hours, InvalidCalendar
from services.campaigns.phones import InvalidPhone, normalise_with_zones
from services.kernel import csvfile
from services.kernel.csvfile import Batch, CsvPlan, Problem, UnreadableCsv

__all__ = ["Batch", "CsvPlan", "Problem", "Row", "UnreadableCsv", "batches", "inspect", "parse"]

MAX_ROWS = 1_000_000
MAX_PROBLEMS_SHOWN = 1000
COLUMNS = {
    "phone": ("phone", "telefono", "tel", "cellulare", "numero", "phone_number"),
    "first_name": ("first_name", "nome", "firstname"),
    "last_name": ("last_name", "cognome", "lastname", "surname"),
    "email": ("email", "e-mail", "mail"),
    "municipality": ("municipality", "comune", "city", "citta", "città"),
    "preferred_times": ("preferred_times", "orari", "fascia_oraria", "preferred"),
}


@dataclass(frozen=True)
class Row:
    line: int
    phone: str
    timezones: list[str]
    fields: dict[str, str]
    municipality: str
    preferred_times: list[str]


def inspect(binary: BinaryIO, require_rows: bool = True) -> CsvPlan:
    """Pass 1: the whole file decodes as UTF-8, has a header naming a phone column and at least one row."""
    return csvfile.inspect(binary, _columns, MAX_ROWS, "'nome;telefono'", "rows" if require_rows else None)


def _columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().casefold() for h in header]
    found: dict[str, int] = {}
    for ours, synonyms in COLUMNS.items():
        for index, name in enumerate(names):
            if name in synonyms and ours not in found:
                found[ours] = index
    if "phone" not in found:
        raise UnreadableCsv(f"no phone column in header {header}; name one of {list(COLUMNS['phone'])}")
    return found


def batches(binary: BinaryIO, plan: CsvPlan, size: int = 500, region: str = "IT") -> Iterator[Batch[Row]]:
    """Pass 2: parsed rows and per-line problems, `size` lines at a time."""
    return csvfile.batches(binary, plan, lambda line, cell: parse(line, cell, region), size)


def parse(line: int, cell: Callable[[str], str], region: str) -> Row | Problem:
    try:
        phone, zones = normalise_with_zones(cell("phone"), region)
        preferred = [str(Hours.parse(p)) for p in cell("preferred_times").split(",") if p.strip()]
    except (InvalidPhone, InvalidCalendar) as error:
        return Problem(line, error.message)
    fields = {"phone": phone, **{k: cell(k) for k in ("first_name", "last_name", "email") if cell(k)}}
    municipality = " ".join(cell("municipality").replace("|", " ").split())
    return Row(line, phone, zones, fields, municipality, preferred)
