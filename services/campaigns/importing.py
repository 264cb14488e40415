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
    # mail: consent to marketing e-mail collected with the list (sì/no), and the words the person agreed to
    "email_consent": ("email_consent", "consenso_email", "consenso e-mail", "consenso_mail"),
    "email_consent_text": ("email_consent_text", "testo_consenso", "consent_text"),
}
YES = frozenset({"sì", "si", "yes", "y", "s", "1", "true", "x"})
NO = frozenset({"", "no", "n", "0", "false"})
CONSENT_TEXT = "Consenso a ricevere e-mail sulle iniziative, raccolto con la lista importata"


@dataclass(frozen=True)
class Row:
    line: int
    phone: str
    timezones: list[str]
    fields: dict[str, str]
    municipality: str
    preferred_times: list[str]
    email_consent: str | None = None  # the words agreed to, when the row says the person agreed to marketing e-mail


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
    agreed = cell("email_consent").strip().casefold()
    if agreed not in YES | NO:
        return Problem(line, f"email_consent must be sì or no (empty: no); got {cell('email_consent')!r}")
    if agreed in YES and "email" not in fields:
        return Problem(line, "email_consent is sì but the row has no e-mail address")
    consent = (cell("email_consent_text").strip() or CONSENT_TEXT) if agreed in YES else None
    return Row(line, phone, zones, fields, municipality, preferred, consent)
