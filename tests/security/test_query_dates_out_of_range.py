"""A day in a query string outside 1900-2199 is a 422 naming the parameter, not a 500.

The fuzzer found `GET /console/api/volunteers?no_shift_since=0001-01-01`: midnight of year 1 in Rome has no UTC
instant (OverflowError in the desk's `utc`). Every query route taking a day now takes the kernel's `Day`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

SOMEONE = "6a0f5d2e-1111-4c2b-9b55-000000000001"  # the day is judged before the id is looked up
ROUTES = [  # (path, parameter): every GET route whose query string carries a day
    ("/console/api/volunteers", "no_shift_since"),
    ("/ledger", "as_of"),
    ("/ledger/balances", "as_of"),
    (f"/transparency/funds/{SOMEONE}", "as_of"),
    ("/instalments/overdue", "as_of"),
    ("/privacy/access", "from"),
    ("/privacy/access", "to"),
    (f"/pledges/{SOMEONE}", "on"),
    (f"/donors/{SOMEONE}/pledges", "on"),
]


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
@pytest.mark.parametrize(("path", "parameter"), ROUTES)
def test_a_query_day_out_of_range_is_a_422_naming_the_parameter(
        page_reader: TestClient, path: str, parameter: str, day: str) -> None:
    answer = page_reader.get(path, params={parameter: day})
    assert answer.status_code == 422, answer.text
    assert f"{parameter}: Value error, must fall between 1900-01-01 and 2199-12-31" in answer.json()["detail"]


def test_the_roster_still_filters_by_a_day_at_the_edges(client: TestClient) -> None:
    for day in ("1900-01-01", "2199-12-31"):
        answer = client.get("/console/api/volunteers", params={"no_shift_since": day})
        assert answer.status_code == 200, answer.text
        assert answer.json() == []
