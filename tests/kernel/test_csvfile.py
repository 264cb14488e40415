"""The kernel's CSV reader: a short line is a problem when the caller asks for whole lines, else empty cells."""

from __future__ import annotations

import io
from collections.abc import Callable

from services.kernel import csvfile

DONORS = "\ufeffnome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;06 9876 5432\n".encode()


def columns(header: list[str]) -> dict[str, int]:
    return {name.strip(): index for index, name in enumerate(header)}


def town(line: int, cell: Callable[[str], str]) -> tuple[int, str, str]:
    return line, cell("nome"), cell("comune")


def test_a_line_short_of_the_header_is_a_problem_when_whole_lines_are_asked_for() -> None:
    binary = io.BytesIO(DONORS)
    plan = csvfile.inspect(binary, columns, 10, "nome;telefono;comune")
    (batch,) = csvfile.batches(binary, plan, town, size=10, whole_lines=True)
    assert batch.items == [(2, "Giulia", "Milano")]
    assert batch.problems == [csvfile.Problem(3, "expected 3 columns, got 2")]


def test_a_line_short_of_the_header_reads_empty_cells_otherwise() -> None:
    binary = io.BytesIO(DONORS)
    plan = csvfile.inspect(binary, columns, 10, "nome;telefono;comune")
    (batch,) = csvfile.batches(binary, plan, town, size=10)
    assert (plan.delimiter, batch.items, batch.problems) == (";", [(2, "Giulia", "Milano"), (3, "Marco", "")], [])
