"""The roster (who is registered, with which roles) and the directory of useful numbers, fed from the calls
aggregates. The HTTP routes over them are tested in tests/test_slice_embedded.py and tests/calls/test_api.py."""

from __future__ import annotations

from services.calls.domain.directory import Municipality
from services.calls.domain.volunteer import Role
from services.projections import directory, roster
from tests.projections.conftest import Calls, ReadModelOf, Sources, rome


def test_the_roster_pages_volunteers_by_id_with_their_roles(read_model: ReadModelOf, calls: Calls) -> None:
    registered = [calls.volunteer(rome("2026-11-23 10:00"), Role.HELPLINE, Role.OUTREACH),
                  calls.volunteer(rome("2026-11-23 10:05"), Role.COORDINATOR),
                  calls.volunteer(rome("2026-11-23 10:10"))]
    model = read_model(roster.PROJECTION)
    model.catch_up()
    ids = sorted(str(v.id) for v in registered)
    first = roster.volunteers(model.store, limit=2)
    assert [r["volunteer_id"] for r in first] == ids[:2]
    assert [r["volunteer_id"] for r in roster.volunteers(model.store, limit=2, after=first[-1]["volunteer_id"])] == \
        ids[2:]
    roles = {r["volunteer_id"]: r["roles"] for r in roster.volunteers(model.store, limit=10)}
    assert roles[str(registered[0].id)] == "helpline,outreach"
    assert roster.count(model.store) == 3


def listed(sources: Sources, istat_code: str, name: str, *numbers: tuple[str, str]) -> None:
    municipality = Municipality(istat_code, name, rome("2026-11-01 09:00"))
    for category, number in numbers:
        municipality.add_number(category, number, rome("2026-11-01 09:00"))
    sources.save("calls", municipality)


def test_directory_search_ignores_case_and_accents_and_lists_the_exact_name_first(
    read_model: ReadModelOf, sources: Sources
) -> None:
    listed(sources, "013041", "Cantù", ("social", "031 799 111"), ("health", "118"))
    listed(sources, "016183", "Romano di Lombardia", ("health", "0363 9901"))
    listed(sources, "003130", "Romagnano Sesia")
    listed(sources, "058091", "Roma", ("health", "06 5510"))
    model = read_model(directory.PROJECTION)
    model.catch_up()
    assert directory.search(model.store, "CANTU") == [{"istat_code": "013041", "name": "Cantù", "numbers": [
        {"category": "health", "number": "118"}, {"category": "social", "number": "031 799 111"}]}]
    assert [m["name"] for m in directory.search(model.store, "roma")] == [
        "Roma", "Romagnano Sesia", "Romano di Lombardia"]
    assert [m["name"] for m in directory.search(model.store, "roma", limit=2)] == ["Roma", "Romagnano Sesia"]
    assert [m["numbers"] for m in directory.search(model.store, "cantù", "social")] == [
        [{"category": "social", "number": "031 799 111"}]]


def test_directory_search_takes_wildcards_literally(read_model: ReadModelOf, sources: Sources) -> None:
    listed(sources, "058091", "Roma", ("health", "06 5510"))
    model = read_model(directory.PROJECTION)
    model.catch_up()
    assert directory.search(model.store, "r_ma") == []
    assert directory.search(model.store, "%") == []
    assert [m["name"] for m in directory.search(model.store, "oma")] == ["Roma"]
