"""Directory CSV: read and validate rows of ISTAT code, municipality, category, number; report bad lines."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import shortnumberinfo

from services.calls.domain.directory import search_key
from services.kernel.errors import InvalidInput

MAX_BYTES = 5_000_000
_ISTAT = re.compile(r"^\d{6}$")
_COLUMNS = {
    "istat_code": ("istat_code", "istat", "codice_istat"),
    "municipality": ("municipality", "comune"),
    "category": ("category", "categoria"),
    "number": ("number", "numero", "telefono"),
}


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
class RowError:
    line: int
    reason: str


def read_directory_csv(raw: bytes) -> tuple[list[DirectoryRow], list[RowError]]:
    """Valid rows and, for every other row, its line number and what is wrong with it.

    UTF-8 with or without BOM; comma or semicolon separated; the first line names the columns.
    """
    if len(raw) > MAX_BYTES:
        raise UnreadableDirectory(f"the file is {len(raw)} bytes; split it into files of at most {MAX_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableDirectory(f"the file must be UTF-8 text; byte {error.start} is not") from None
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    order = _column_order(next(reader, []))
    rows: list[DirectoryRow] = []
    errors: list[RowError] = []
    names: dict[str, str] = {}
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        try:
            row = _row(reader.line_num, cells, order)
            _same_name(row, names)
        except InvalidInput as error:
            errors.append(RowError(reader.line_num, error.message))
            continue
        rows.append(row)
    return rows, errors


def _column_order(header: list[str]) -> list[int]:
    names = [cell.strip().lower().replace(" ", "_") for cell in header]
    order = []
    for column, aliases in _COLUMNS.items():
        found = [i for i, name in enumerate(names) if name in aliases]
        if not found:
            raise UnreadableDirectory(
                f"the first line must name the columns istat_code, municipality, category, number; "
                f"{column} is missing (got {header})"
            )
        order.append(found[0])
    return order


def _row(line: int, cells: list[str], order: list[int]) -> DirectoryRow:
    if len(cells) <= max(order):
        raise InvalidInput(f"expected 4 columns, got {len(cells)}")
    istat, municipality, category, number = (cells[i].strip() for i in order)
    if not _ISTAT.match(istat):
        raise InvalidInput(f"ISTAT code must be 6 digits, got {istat!r}")
    if not 1 <= len(municipality) <= 120:
        raise InvalidInput(f"municipality must be 1 to 120 characters, got {municipality!r}")
    if not 1 <= len(category) <= 60:
        raise InvalidInput(f"category must be 1 to 60 characters, got {category!r}")
    return DirectoryRow(line, istat, municipality, category.lower(), normalise_number(number))


def normalise_number(number: str) -> str:
    """E.164 for a full Italian number, the digits for a short one (112, 118, 1522)."""
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
