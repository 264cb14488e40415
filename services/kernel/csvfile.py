"""Uploaded CSV files, read in two passes: prove the whole file readable, then stream its lines in batches.

Italian spreadsheets export UTF-8 with or without a BOM and separate fields with ';' or ','. The first pass
decodes every byte, reads the header and counts the rows (nothing is stored if it fails); the second yields
parsed lines a batch at a time, so memory stays bounded by the batch size whatever the file size. What a
line means is the caller's: it maps the header to its columns and parses each line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Generic, TypeVar

from services.kernel.errors import InvalidInput

T = TypeVar("T")


class UnreadableCsv(InvalidInput):
    """The file as a whole cannot be imported; nothing was stored."""


@dataclass(frozen=True)
class CsvPlan:
    delimiter: str
    columns: dict[str, int]  # the caller's field → column index
    rows: int
    sha256: str


@dataclass(frozen=True)
class Problem:
    line: int
    reason: str


@dataclass
class Batch(Generic[T]):
    items: list[T] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    lines_read: int = 0


def inspect(binary: BinaryIO, columns: Callable[[list[str]], dict[str, int]], max_rows: int,
            example: str, nothing: str | None = "rows") -> CsvPlan:
    """Pass 1: UTF-8 throughout, a header that `columns` accepts (it raises UnreadableCsv saying what is
    missing), and, unless `nothing` is None, at least one row ("file has a header but no {nothing} to
    import"); at most `max_rows` rows. `example` shows a good first line."""
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
            raise UnreadableCsv(f"file is empty; the first line must name the columns, e.g. {example}")
        delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        found = columns(next(csv.reader([header_line], delimiter=delimiter)))
        rows = sum(1 for record in csv.reader(text, delimiter=delimiter) if any(c.strip() for c in record))
    except csv.Error as error:
        raise UnreadableCsv(f"file is not valid CSV: {error}") from None
    finally:
        text.detach()
    if rows == 0 and nothing is not None:
        raise UnreadableCsv(f"file has a header but no {nothing} to import")
    if rows > max_rows:
        raise UnreadableCsv(f"file has {rows} rows; split it into files of at most {max_rows} rows")
    return CsvPlan(delimiter, found, rows, digest.hexdigest())


def batches(binary: BinaryIO, plan: CsvPlan, parse: Callable[[int, Callable[[str], str]], T | Problem],
            size: int, whole_lines: bool = False) -> Iterator[Batch[T]]:
    """Pass 2: `parse(line number, cell)` for every non-blank line, where `cell(field)` is that field's
    stripped text ("" when the file has no such column); its results and problems `size` lines at a time.
    With `whole_lines`, a line too short to reach every column the header named is a problem ("expected 4
    columns, got 3") rather than a line whose last cells are empty."""
    reach = max(plan.columns.values(), default=-1)
    text = _text(binary)
    try:
        reader = csv.reader(text, delimiter=plan.delimiter)
        next(reader)
        batch: Batch[T] = Batch()
        for record in reader:
            if not any(c.strip() for c in record):
                continue
            batch.lines_read += 1
            if whole_lines and len(record) <= reach:
                parsed: T | Problem = Problem(reader.line_num,
                                              f"expected {len(plan.columns)} columns, got {len(record)}")
            else:
                parsed = parse(reader.line_num, _cells(record, plan.columns))
            if isinstance(parsed, Problem):
                batch.problems.append(parsed)
            else:
                batch.items.append(parsed)
            if batch.lines_read >= size:
                yield batch
                batch = Batch()
        if batch.lines_read:
            yield batch
    finally:
        text.detach()


def _cells(record: list[str], columns: dict[str, int]) -> Callable[[str], str]:
    def cell(name: str) -> str:
        index = columns.get(name)
        return record[index].strip() if index is not None and index < len(record) else ""

    return cell


def _text(binary: BinaryIO) -> io.TextIOWrapper:
    binary.seek(0)
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="", errors="strict")
