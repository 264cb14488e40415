"""Directory editing and the import's line-by-line report (domain and use cases, in memory): categories as a
validated set, a municipality listed, renamed, numbers added and removed as events, the preview stores nothing,
the same file imported twice changes nothing; and an inbound call's caller number kept in the vault, with the
area an Italian landline's prefix names."""

from __future__ import annotations

import pytest

from services.calls import contract
from services.calls.application import CallsApplication, MunicipalityAlreadyListed
from services.calls.domain.caller import InvalidCallerNumber, landline_area, parse_caller_number
from services.calls.domain.directory import (
    CATEGORIES,
    InvalidDirectoryEntry,
    NumberNotListed,
    parse_category,
    parse_istat,
    parse_name,
)
from services.identity.domain import SYSTEM, Access
from services.kernel.errors import InvalidInput, NotFound
from tests.calls.conftest import messages, register

FILE = (
    "codice_istat;comune;categoria;numero\n"
    "015146;Milano;sanità;02 8578 1\n"              # 2: imported (Italian category name)
    "015146;MILANO;Servizi sociali;02 0202 0202\n"  # 3: imported (same municipality, case aside)
    "013041;Cantù;health;031 799 111\n"             # 4: imported
    "013041;Cantu;health;031 799 111\n"             # 5: unchanged (already on line 4)
    "01304;Cantù;health;031 1\n"                    # 6: bad ISTAT code
    "013041;Cantù;astrology;031 799 111\n"          # 7: unknown category
    "013041;Cantù;health;not a number\n"            # 8: unparseable number
    "013041;Cantù;health;031 79\n"                  # 9: too short to be an Italian number
)


def test_categories_are_a_validated_set_with_their_italian_names() -> None:
    assert tuple(CATEGORIES) == contract.DIRECTORY_CATEGORIES
    assert [parse_category(n) for n in ("Sanità", "SANITA", "health", "Protezione civile", "social")] == [
        "health", "health", "health", "civil protection", "social services"]
    with pytest.raises(InvalidDirectoryEntry, match="unknown category 'astrology'; the categories are health"):
        parse_category("astrology")
    with pytest.raises(InvalidDirectoryEntry, match="ISTAT code must be 6 digits"):
        parse_istat("15146")
    assert parse_name("  Reggio   nell'Emilia ") == "Reggio nell'Emilia"
    with pytest.raises(InvalidDirectoryEntry, match="1 to 120"):
        parse_name("   ")


def test_the_preview_reports_every_line_and_stores_nothing(calls: CallsApplication) -> None:
    report = calls.preview_directory_import(FILE.encode())
    assert not report.committed
    assert [(x.line, x.outcome) for x in report.lines] == [
        (2, "imported"), (3, "imported"), (4, "imported"), (5, "unchanged"), (6, "rejected"), (7, "rejected"),
        (8, "rejected"), (9, "rejected")]
    reasons = {x.line: x.reason for x in report.lines}
    assert "ISTAT code must be 6 digits" in reasons[6]
    assert "unknown category 'astrology'" in reasons[7]
    assert "'not a number' is not a phone number" in reasons[8]
    assert "'031 79' is not a valid Italian phone number" in reasons[9]
    assert report.lines[1].category == "social services" and report.lines[1].number == "+390202020202"
    assert (report.lines[5].istat_code, report.lines[5].category) == ("013041", "astrology")  # as the file has it
    assert messages(calls, "Municipality.Listed") == []


def test_the_import_commits_what_the_preview_showed_and_again_changes_nothing(calls: CallsApplication) -> None:
    preview = calls.preview_directory_import(FILE.encode())
    report = calls.import_directory(FILE.encode())
    assert report.committed and report.lines == preview.lines
    assert (report.numbers_added, report.already_listed, report.municipalities_listed) == (3, 1, 2)
    events = len(messages(calls, "Municipality.NumberAdded"))
    again = calls.import_directory(FILE.encode())
    assert [x.outcome for x in again.lines][:4] == ["unchanged"] * 4
    assert again.numbers_added == 0 and len(messages(calls, "Municipality.NumberAdded")) == events


def test_a_municipality_is_listed_renamed_and_its_numbers_added_and_removed_as_events(
        calls: CallsApplication) -> None:
    listed = calls.list_municipality("058091", "Roma", [("sanità", "06 6710 1")])
    assert listed.numbers == (("health", "+390667101"),)
    with pytest.raises(MunicipalityAlreadyListed, match="already in the directory as 'Roma'"):
        calls.list_municipality("058091", "Rome", [])
    assert calls.rename_municipality("058091", "Roma Capitale").name == "Roma Capitale"
    calls.rename_municipality("058091", "Roma Capitale")  # the same name: no event
    assert calls.add_directory_number("058091", "emergenza", "112").numbers[-1] == ("emergency", "112")
    calls.add_directory_number("058091", "emergency", "112")  # already listed: no event
    assert calls.remove_directory_number("058091", "health", "+39 06 67101").numbers == (("emergency", "112"),)
    with pytest.raises(NumberNotListed, match="no 'health' number"):
        calls.remove_directory_number("058091", "health", "06 6710 1")
    with pytest.raises(NotFound, match="not in the directory"):
        calls.add_directory_number("015146", "health", "02 1")
    assert [len(messages(calls, f"Municipality.{kind}")) for kind in ("Listed", "Renamed", "NumberAdded",
                                                                       "NumberRemoved")] == [1, 1, 2, 1]


def test_bad_input_stores_nothing(calls: CallsApplication) -> None:
    for bad in (lambda: calls.list_municipality("58091", "Roma", []),
                lambda: calls.list_municipality("058091", "Roma", [("astrology", "06 1")]),
                lambda: calls.list_municipality("058091", "Roma", [("health", "06 6710 1"), ("health", "xyz")])):
        with pytest.raises(InvalidInput):
            bad()
    assert messages(calls, "Municipality.Listed") == []


def test_a_landline_names_its_area_and_a_mobile_none() -> None:
    assert parse_caller_number("02 8578 1") == "+390285781"
    assert landline_area("+390285781") == "Milano"
    assert landline_area(parse_caller_number("031 799 111")) == "Como"
    assert landline_area(parse_caller_number("333 123 4567")) is None
    assert landline_area(parse_caller_number("+41 44 668 18 00")) is None
    with pytest.raises(InvalidCallerNumber, match="not a valid phone number"):
        parse_caller_number("02 1")


def test_the_caller_number_goes_to_the_vault_and_stays_beside_the_notes(calls: CallsApplication) -> None:
    giulia = register(calls)
    calls.clock_in(giulia)
    call = calls.start_call(giulia, "inbound", None, None, caller_number="02 8578 1")
    assert all("+390285781" not in str(m.data) for m in messages(calls, "Call.Started"))
    access = Access(SYSTEM, "tests")
    view = calls.call(call, access)
    assert (view.caller_number, view.caller_area) == ("+390285781", "Milano")
    calls.connect_call(call, by=SYSTEM)
    calls.end_call(call, "answered", "Richiamare domani", None, by=SYSTEM)
    view = calls.call(call, access)
    assert (view.caller_number, view.notes) == ("+390285781", "Richiamare domani")
    with pytest.raises(InvalidCallerNumber, match="for inbound calls"):
        calls.start_call(giulia, "outbound", None, None, caller_number="02 8578 1")
