"""CSV exports cannot smuggle spreadsheet formulas (CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from services.kernel.csvsafe import neutralise, to_csv


@pytest.mark.parametrize("hostile", [
    "=HYPERLINK(\"http://evil.example\",\"Giulia\")", "+39 02 1234", "-2+3", "@SUM(A1:A9)",
    "\t=1+1", "\r=1+1",
])
def test_cells_a_spreadsheet_would_run_are_prefixed_with_a_quote(hostile: str) -> None:
    assert neutralise(hostile) == "'" + hostile


@pytest.mark.parametrize("harmless", ["Giulia Rossi", "Natale 2026", "a=b", "", "50.00", "'already quoted"])
def test_ordinary_text_is_left_alone(harmless: str) -> None:
    assert neutralise(harmless) == harmless


def test_numbers_stay_numbers_and_none_is_empty() -> None:
    assert (neutralise(-5), neutralise(12.5), neutralise(None)) == ("-5", "12.5", "")


def test_a_whole_export_round_trips_with_every_cell_neutralised() -> None:
    document = to_csv(["donor", "note"], [["Giulia", "=cmd|' /C calc'!A0"], ["Marco", "grazie"]])
    rows = list(csv.reader(io.StringIO(document)))
    assert rows == [["donor", "note"], ["Giulia", "'=cmd|' /C calc'!A0"], ["Marco", "grazie"]]
