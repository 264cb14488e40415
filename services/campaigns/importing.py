"""CSV import of donor lists, streamed: a first pass proves the file readable, a second yields rows in batches.

Italian spreadsheets export UTF-8 with or without a BOM and separate fields with ';' or ','. Memory stays
bounded by the batch size whatever the file size: rows are never all held at once.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from services.campaigns.calendar import Hours, InvalidCalendar
from services.campaigns.phones import InvalidPhone, normalise_with_zones
from services.kernel.errors import InvalidInput

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


class UnreadableCsv(InvalidInput):
    """The file as a whole cannot be imported; nothing was stored."""


@dataclass(frozen=True)
class CsvPlan:
    delimiter: str
    columns: dict[str, int]  # our field → column index
    rows: int
    sha256: str


@dataclass(frozen=True)
class Row:
    line: int
    phone: str
    timezones: list[str]
    fields: dict[str, str]
    municipality: str
    preferred_times: list[str]


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


@dataclass
class Batch:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines_read: int = 0


def _text(binary: BinaryIO) -> io.TextIOWrapper:
    binary.seek(0)
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", errors="strict")


def inspect(binary: BinaryIO, require_rows: bool = True) -> CsvPlan:
    """Pass 1: the whole file decodes as UTF-8, has a header naming a phone column and at least one row."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    binary.seek(0)
    offset = 0
    while chunk := binary.read(1 << 16):
        digest.update(chunk)
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise UnreadableCsv(f"file is not UTF-8 text (byte {offset + error.start}); "
                                "save it as 'CSV UTF-8' and import again") from None
        offset += len(chunk)
    text = _text(binary)
    try:
        header_line = text.readline()
        if not header_line.strip():
            raise UnreadableCsv("file is empty; the first line must name the columns, e.g. 'nome;telefono'")
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        columns = _columns(next(csv.reader([header_line], delimiter=delimiter)))
        rows = sum(1 for record in csv.reader(text, delimiter=delimiter) if any(c.strip() for c in record))
    except csv.Error as error:
        raise UnreadableCsv(f"file is not valid CSV: {error}") from None
    finally:
        text.detach()
    if rows == 0 and require_rows:
        raise UnreadableCsv("file has a header but no rows to import")
    if rows > MAX_ROWS:
        raise UnreadableCsv(f"file has {rows} rows; split it into files of at most {MAX_ROWS} rows")
    return CsvPlan(delimiter, columns, rows, digest.hexdigest())


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


def batches(binary: BinaryIO, plan: CsvPlan, size: int = 500, region: str = "IT") -> Iterator[Batch]:
    """Pass 2: parsed rows and per-line problems, `size` lines at a time."""
    text = _text(binary)
    try:
        reader = csv.reader(text, delimiter=plan.delimiter)
        next(reader)
        batch = Batch()
        for record in reader:
            if not any(c.strip() for c in record):
                continue
            batch.lines_read += 1
            parsed = parse(reader.line_num, record, plan.columns, region)
            (batch.rows if isinstance(parsed, Row) else batch.problems).append(parsed)  # type: ignore[arg-type]
            if batch.lines_read >= size:
                yield batch
                batch = Batch()
        if batch.lines_read:
            yield batch
    finally:
        text.detach()


def parse(line: int, record: list[str], columns: dict[str, int], region: str) -> Row | Problem:
    def cell(name: str) -> str:
        index = columns.get(name)
        return record[index].strip() if index is not None and index < len(record) else ""

    try:
        phone, zones = normalise_with_zones(cell("phone"), region)
        preferred = [str(Hours.parse(p)) for p in cell("preferred_times").split(",") if p.strip()]
    except (InvalidPhone, InvalidCalendar) as error:
        return Problem(line, error.message)
    fields = {"phone": phone, **{k: cell(k) for k in ("first_name", "last_name", "email") if cell(k)}}
    municipality = " ".join(cell("municipality").replace("|", " ").split())
    return Row(line, phone, zones, fields, municipality, preferred)
