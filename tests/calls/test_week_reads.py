"""The week read from the SQLite store in bulk and from the read cache: every listing shows the writes just made,
by this application or by another one on the same store (another process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import uuid4

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.call import Call
from services.calls.domain.shift import Shift
from services.kernel.clock import FixedClock
from services.kernel.errors import NotFound
from services.kernel.eventstore import event_store_env
from services.kernel.settings import Settings
from services.privacy.application import PrivacyVault
from tests.calls.conftest import register, rome
from tests.calls.test_week import CHIARA, pattern

WEEK = (rome("2026-11-24 00:00"), rome("2026-12-01 00:00"))


@pytest.fixture
def stored(tmp_path: object, vault: PrivacyVault, clock: FixedClock, embedded_settings: Settings,
           ) -> Iterator[tuple[CallsApplication, CallsApplication]]:
    """Two calls applications on one SQLite file, as two processes of one installation would be."""
    env = event_store_env(embedded_settings, "calls")
    first, second = (CallsApplication(dict(env), vault=vault, clock=clock) for _ in range(2))
    yield first, second
    first.close()
    second.close()


def test_the_week_lists_a_sign_up_made_right_after_the_previous_listing(
        stored: tuple[CallsApplication, CallsApplication]) -> None:
    calls, _ = stored
    giulia = register(calls)
    ids = calls.schedule_pattern(pattern(weeks=1), "helpline", 2)
    assert [s.volunteers for s in calls.shifts(*WEEK)] == [()] * 42
    calls.sign_up(ids[3], giulia)
    assert [s.volunteers for s in calls.shifts(*WEEK) if s.volunteers] == [(str(giulia),)]
    calls.cancel_sign_up(ids[3], giulia)
    assert all(not s.volunteers for s in calls.shifts(*WEEK))


def test_another_process_sign_up_cancel_and_edit_show_in_this_one_at_once(
        stored: tuple[CallsApplication, CallsApplication]) -> None:
    here, there = stored
    marco = register(there, "Marco Bianchi")
    ids = there.schedule_pattern(pattern(weeks=1), "helpline", 2)
    assert len(here.shifts(*WEEK)) == 42
    there.sign_up(ids[0], marco)
    there.cancel_shift(ids[1], "nessuno", by=CHIARA)
    there.edit_shift(ids[2], rome("2026-11-30 20:00"), rome("2026-11-30 22:00"), 5, by=CHIARA)
    listed = {s.id: s for s in here.shifts(*WEEK)}
    assert listed[ids[0]].volunteers == (str(marco),)
    assert ids[1] not in listed
    assert (listed[ids[2]].starts_at, listed[ids[2]].capacity) == (rome("2026-11-30 20:00"), 5)
    assert [g.needed for g in here.coverage(rome("2026-11-30 20:00"), 1) if g.starts_at == rome("2026-11-30 20:00")] \
        == [2 + 5]


def test_read_many_keeps_the_order_asked_and_names_what_is_not_there(
        stored: tuple[CallsApplication, CallsApplication]) -> None:
    calls, _ = stored
    ids = calls.schedule_pattern(pattern(starts_on=date(2026, 11, 24), weeks=1, weekdays=(2,)), "helpline", 1)
    assert [s.id for s in calls.read_many(list(reversed(ids)), Shift)] == list(reversed(ids))
    with pytest.raises(NotFound, match=f"call {ids[0]} not found"):
        calls.read_many([ids[0]], Call)
    giulia = register(calls)
    with pytest.raises(NotFound, match=f"shift {giulia} not found"):
        calls.read_many([ids[0], giulia], Shift)
    assert [s.id for s in calls.read_many([uuid4(), ids[0]], Shift, skip_missing=True)] == [ids[0]]
