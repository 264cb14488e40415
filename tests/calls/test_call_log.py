"""The call log on the in-memory store: a volunteer's calls indexed by month as they start, listed by kind and
period, the open one found for a resume; a volunteer lists only their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.call_log import InvalidCallQuery, check_page, check_range, months_between
from services.identity.domain import SYSTEM_ACCESS, Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import NotFound, NotYours
from tests.calls.conftest import register

ADMIN = SYSTEM_ACCESS.actor


def as_volunteer(volunteer_id: UUID) -> Actor:
    return Actor(kind="account", id="a1", name="v@angeli.example", role="volunteer", volunteer_id=volunteer_id)


def test_months_between_cross_the_year() -> None:
    assert months_between(datetime(2026, 11, 30, 23, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)) == [
        "2026-11", "2026-12", "2027-01", "2027-02"]


@pytest.mark.parametrize(("start", "end", "reason"), [
    (datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC), "must be before"),
    (datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC), "366 days"),
    (datetime(2026, 11, 1), datetime(2026, 11, 2, tzinfo=UTC), "zone offset"),
])
def test_a_period_is_ordered_bounded_and_zoned(start: datetime, end: datetime, reason: str) -> None:
    with pytest.raises(InvalidCallQuery, match=reason):
        check_range(start, end)


def test_a_page_is_1_to_100_calls_from_offset_0() -> None:
    check_page(0, 100)
    for offset, limit in ((-1, 10), (0, 0), (0, 101)):
        with pytest.raises(InvalidCallQuery):
            check_page(offset, limit)


def test_calls_are_listed_newest_first_by_kind_and_the_open_one_is_found(calls: CallsApplication,
                                                                        clock: FixedClock) -> None:
    giulia = register(calls, roles=("helpline", "outreach"))
    calls.clock_in(giulia)
    first = calls.start_call(giulia, "inbound", None, None)
    clock.advance(timedelta(minutes=10))
    calls.connect_call(first, by=ADMIN)
    calls.end_call(first, "answered", None, None, by=ADMIN)
    outbound = calls.start_call(giulia, "outbound", uuid4(), uuid4())
    clock.advance(timedelta(minutes=1))
    second = calls.start_call(giulia, "inbound", None, None)
    clock.advance(timedelta(minutes=1))

    page, total = calls.calls(giulia, None, None, None, 0, 10, by=ADMIN)
    assert [c.id for c in page] == [second, outbound, first] and total == 3
    page, total = calls.calls(giulia, "inbound", None, None, 1, 1, by=ADMIN)
    assert [c.id for c in page] == [first] and total == 2
    assert page[0].notes is None  # a list never reads the vault

    found = calls.open_call(giulia, "inbound", SYSTEM_ACCESS)
    assert found is not None and found.id == second
    calls.end_call(second, "abandoned", None, None, by=ADMIN)
    assert calls.open_call(giulia, "inbound", SYSTEM_ACCESS) is None
    found = calls.open_call(giulia, None, SYSTEM_ACCESS)
    assert found is not None and found.id == outbound


def test_a_volunteer_lists_their_own_calls_only(calls: CallsApplication, clock: FixedClock) -> None:
    giulia, marco = register(calls), register(calls, "Marco Bianchi")
    calls.clock_in(giulia)
    call = calls.start_call(giulia, "inbound", None, None)
    clock.advance(timedelta(seconds=1))
    page, _ = calls.calls(None, None, None, None, 0, 10, by=as_volunteer(giulia))
    assert [c.id for c in page] == [call]
    with pytest.raises(NotYours):
        calls.calls(marco, None, None, None, 0, 10, by=as_volunteer(giulia))
    with pytest.raises(InvalidCallQuery, match="volunteer_id is required"):
        calls.calls(None, None, None, None, 0, 10, by=ADMIN)
    with pytest.raises(NotFound):
        calls.calls(uuid4(), None, None, None, 0, 10, by=ADMIN)
