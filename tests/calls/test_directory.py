"""Directory import: validated rows, errors by line, UTF-8 with or without BOM, comma or semicolon."""

from __future__ import annotations

import pytest

from services.calls.application import CallsApplication
from services.calls.directory import UnreadableDirectory
from tests.calls.conftest import messages

LOMBARDIA = (
    "istat_code;municipality;category;number\n"
    "015146;Milano;health;02 8578 1\n"
    "013041;Cantù;health;031 799 111\n"
    "013041;Cantù;emergency;118\n"
    "15146;Milano;social;02 0202\n"              # line 5: ISTAT code too short
    "015146;Milano;social;12\n"                  # line 6: not a number
    "015146;Milano;;02 0202\n"                   # line 7: no category
    "015146;Milan;social;02 0202\n"              # line 8: another name for 015146
    "\n"
    "015146;Milano;social\n"                     # line 10: a column missing
)


def test_valid_rows_are_imported_and_bad_ones_reported_by_line(calls: CallsApplication) -> None:
    report = calls.import_directory(("\ufeff" + LOMBARDIA).encode())
    assert (report.numbers_added, report.municipalities_listed, report.already_listed) == (3, 2, 0)
    assert [(e.line, e.reason.split(",")[0].split(" is ")[0]) for e in report.errors] == [
        (5, "ISTAT code must be 6 digits"), (6, "number '12'"), (7, "category must be 1 to 60 characters"),
        (8, "ISTAT code 015146"), (10, "expected 4 columns"),
    ]
    assert calls.municipality("013041").numbers == (("health", "+39031799111"), ("emergency", "118"))


def test_reimporting_the_same_file_adds_nothing(calls: CallsApplication) -> None:
    calls.import_directory(LOMBARDIA.encode())
    before = len(messages(calls, "Municipality.NumberAdded"))
    report = calls.import_directory(LOMBARDIA.encode("utf-8"))
    assert (report.numbers_added, report.already_listed) == (0, 3)
    assert len(messages(calls, "Municipality.NumberAdded")) == before


def test_comma_separated_file_with_italian_headers_and_a_known_municipality_under_another_name(
        calls: CallsApplication) -> None:
    calls.import_directory(b"codice_istat,comune,categoria,numero\n013041,Cantu,health,031 799 111\n")
    report = calls.import_directory(b"codice_istat,comune,categoria,numero\n013041,Como,social,031 111 222\n")
    assert report.numbers_added == 0
    assert report.errors[0].line == 2 and "'Cantu' in the directory" in report.errors[0].reason


@pytest.mark.parametrize(("raw", "reason"), [
    (b"\xff\xfe0\x001\x00", "UTF-8"),
    (b"istat,comune,number\n015146,Milano,02 1\n", "category is missing"),
    (b"", "istat_code is missing"),
])
def test_unreadable_files_are_refused_whole(calls: CallsApplication, raw: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDirectory, match=reason):
        calls.import_directory(raw)
    assert messages(calls, "Municipality.Listed") == []


def test_a_file_that_is_not_valid_csv_is_refused_whole_with_the_reason(calls: CallsApplication) -> None:
    """Given a Milano line whose quoted municipality runs on past the CSV reader's field limit."""
    raw = b'istat_code;municipality;category;number\n015146;"Milano' + b" e dintorni" * 20_000 + b'";health;02 1\n'
    with pytest.raises(UnreadableDirectory, match="file is not valid CSV: field larger than field limit"):
        calls.import_directory(raw)
    assert messages(calls, "Municipality.Listed") == []
