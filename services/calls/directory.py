"""Directory import: a CSV of ISTAT code, municipality, category, number (read by the kernel's CSV reader)
into the municipalities' useful numbers, every valid row in one save; every line is reported (imported,
unchanged or rejected with the reason), and the same report can be had first without saving (a preview)."""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import phonenumbers
from phonenumbers import shortnumberinfo

from services.calls.domain.directory import (
    Municipality,
    municipality_id,
    parse_category,
    parse_istat,
    parse_name,
    search_key,
)
from services.kernel import csvfile
from services.kernel.csvfile import Problem, UnreadableCsv
from services.kernel.errors import InvalidInput, NotFound
from services.kernel.idempotency import PendingRequest

if TYPE_CHECKING:
    from services.calls.application import CallsApplication

MAX_BYTES = 5_000_000
_COLUMNS = {
    "istat_code": ("istat_code", "istat", "codice_istat"),
    "municipality": ("municipality", "comune"),
    "category": ("category", "categoria"),
    "number": ("number", "numero", "telefono"),
}
Outcome = Literal["imported", "unchanged", "rejected"]


class UnreadableDirectory(InvalidInput):
    pass


@dataclass(frozen=True)
class DirectoryRow:
    line: int
    istat_code: str
    municipality: str
    category: str
    number: str


@dataclass(frozen=True)
class ImportLine:
    """What became of one line of the file: imported (a new number), unchanged (already listed) or rejected."""

    line: int
    outcome: Outcome
    reason: str = ""
    istat_code: str = ""
    municipality: str = ""
    category: str = ""
    number: str = ""


@dataclass(frozen=True)
class ImportReport:
    numbers_added: int
    already_listed: int
    municipalities_listed: int
    errors: tuple[Problem, ...]
    lines: tuple[ImportLine, ...] = ()
    committed: bool = True


def import_directory(calls: CallsApplication, raw: bytes, *, commit: bool = True,
                     once: PendingRequest | None = None) -> ImportReport:
    """Add every valid row in one save (none with commit=False: the same report, nothing stored); rows with
    errors are reported by line and not imported."""
    rows, errors = read_directory_csv(raw)
    touched: dict[str, Municipality] = {}
    created: set[str] = set()
    lines = [ImportLine(e.line, "rejected", e.reason, *(e.cells if isinstance(e, RejectedRow) else ()))
             for e in errors]
    added = already = 0
    for row in rows:
        municipality = touched.get(row.istat_code) or _listed_or_new(calls, row, created)
        if search_key(municipality.name) != search_key(row.municipality):
            problem = Problem(row.line, f"ISTAT code {row.istat_code} is {municipality.name!r} "
                                        f"in the directory, not {row.municipality!r}")
            errors.append(problem)
            lines.append(ImportLine(row.line, "rejected", problem.reason, row.istat_code, row.municipality,
                                    row.category, row.number))
            continue
        touched[row.istat_code] = municipality
        new = municipality.add_number(row.category, row.number, added_at=calls.clock.now())
        added, already = (added + 1, already) if new else (added, already + 1)
        lines.append(ImportLine(row.line, "imported" if new else "unchanged", "", row.istat_code, municipality.name,
                                row.category, row.number))
    changed = [m for m in touched.values() if m.pending_events]
    if changed and commit:
        calls.save(*changed, once=once)
    return ImportReport(added, already, len(created & set(touched)), tuple(sorted(errors, key=lambda e: e.line)),
                        tuple(sorted(lines, key=lambda x: x.line)), committed=commit)


def _listed_or_new(calls: CallsApplication, row: DirectoryRow, created: set[str]) -> Municipality:
    try:
        return calls.get(municipality_id(row.istat_code), Municipality)
    except NotFound:
        created.add(row.istat_code)
        return Municipality(row.istat_code, row.municipality, listed_at=calls.clock.now())


def read_directory_csv(raw: bytes) -> tuple[list[DirectoryRow], list[Problem]]:
    """Valid rows and, for every other row, its line number and what is wrong with it.

    UTF-8 with or without BOM; comma or semicolon separated; the first line names the columns.
    """
    if len(raw) > MAX_BYTES:
        raise UnreadableDirectory(f"the file is {len(raw)} bytes; split it into files of at most {MAX_BYTES}")
    if not raw.removeprefix(codecs.BOM_UTF8).strip():
        raise UnreadableDirectory(_name_the_columns("istat_code", []))  # an empty file names none of them
    binary = io.BytesIO(raw)
    try:  # every line is at least a byte: MAX_BYTES bounds the rows
        plan = csvfile.inspect(binary, _columns, MAX_BYTES, ",".join(_COLUMNS), nothing=None)
    except UnreadableCsv as error:  # this import's own error, as it has always answered
        raise UnreadableDirectory(error.message) from None
    rows: list[DirectoryRow] = []
    errors: list[Problem] = []
    names: dict[str, str] = {}  # ISTAT code → the municipality's name where the file first gives it
    for batch in csvfile.batches(binary, plan, lambda line, cell: _parse(line, cell, names), size=MAX_BYTES,
                                 whole_lines=True):  # one batch: the rows are saved together
        rows.extend(batch.items)
        errors.extend(batch.problems)
    return rows, errors


def _columns(header: list[str]) -> dict[str, int]:
    names = [cell.strip().lower().replace(" ", "_") for cell in header]
    found: dict[str, int] = {}
    for column, aliases in _COLUMNS.items():
        indexes = [i for i, name in enumerate(names) if name in aliases]
        if not indexes:
            raise UnreadableCsv(_name_the_columns(column, header))
        found[column] = indexes[0]
    return found


def _name_the_columns(missing: str, header: list[str]) -> str:
    return f"the first line must name the columns {', '.join(_COLUMNS)}; {missing} is missing (got {header})"


@dataclass(frozen=True)
class RejectedRow(Problem):
    """A line with an error, and its cells as the file wrote them (for the report)."""

    cells: tuple[str, str, str, str] = ("", "", "", "")


def _parse(line: int, cell: Callable[[str], str], names: dict[str, str]) -> DirectoryRow | Problem:
    try:
        row = _row(line, cell)
        _same_name(row, names)
    except InvalidInput as error:
        istat, municipality, category, number = (cell(column)[:120] for column in _COLUMNS)
        return RejectedRow(line, error.message, (istat, municipality, category, number))
    return row


def _row(line: int, cell: Callable[[str], str]) -> DirectoryRow:
    istat, municipality, category, number = (cell(column) for column in _COLUMNS)
    return DirectoryRow(line, parse_istat(istat), parse_name(municipality), parse_category(category),
                        normalise_number(number))


def normalise_number(number: str) -> str:
    """E.164 for a full Italian number, the digits for a short one (112, 118, 1522)."""
    if not 1 <= len(number.strip()) <= 30:
        raise InvalidInput(f"number must be 1 to 30 characters, got {number!r}")
    try:
        parsed = phonenumbers.parse(number, "IT")
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"number {number!r} is not a phone number") from None
    if phonenumbers.is_valid_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if shortnumberinfo.is_valid_short_number_for_region(parsed, "IT"):
        return phonenumbers.national_significant_number(parsed)
    raise InvalidInput(f"number {number!r} is not a valid Italian phone number")


def _same_name(row: DirectoryRow, names: dict[str, str]) -> None:
    known = names.setdefault(row.istat_code, row.municipality)
    if search_key(known) != search_key(row.municipality):
        raise InvalidInput(f"ISTAT code {row.istat_code} is {known!r} earlier in the file, not {row.municipality!r}")
