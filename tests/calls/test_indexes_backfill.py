"""Shifts, calls and protocols stored by a version before the rota, the call log and the protocol index: the
backfill puts them on their indexes, once; and the protocol index is saved with each protocol created."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from services.calls import indexes
from services.calls.application import CallsApplication
from services.calls.domain.call import Call, Direction
from services.calls.domain.protocol import Protocol
from services.calls.domain.shift import Shift
from services.calls.domain.volunteer import Role
from services.cli import main
from services.identity.domain import SYSTEM_ACCESS, Actor
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.kernel.upgrades import Upgrade
from services.main import build
from tests.calls.conftest import register, rome

STEPS = [{"key": "motivo", "question": "Perché chiama?", "choices": ["salute", "altro"]}]
WEEK = (rome("2026-11-23 00:00"), rome("2026-11-30 00:00"))
VOLUNTEER = Actor(kind="account", id="giulia", name="giulia@angeli.example", role="coordinator")


def stored_the_old_way(calls: CallsApplication, clock: FixedClock) -> tuple[list[UUID], UUID, list[UUID], UUID]:
    """What versions before the indexes saved: each Shift, Call and Protocol alone."""
    giulia = register(calls)
    shifts = [Shift.schedule(rome(f"2026-11-2{d} 10:00"), rome(f"2026-11-2{d} 14:00"), Role.HELPLINE, 2,
                             scheduled_at=clock.now()) for d in (4, 5, 6)]
    gone = Shift.schedule(rome("2026-11-27 10:00"), rome("2026-11-27 14:00"), Role.HELPLINE, 1, clock.now())
    gone.cancel("nessuno", "chiara", at=clock.now())
    started = [Call.start(giulia, Direction.INBOUND, None, None, None, started_at=clock.now() - timedelta(days=d))
               for d in (0, 1, 40)]
    protocol = Protocol.create("Ascolto", created_at=clock.now())
    protocol.publish(STEPS, published_at=clock.now())
    calls.save(*shifts, gone, *started, protocol)
    return [s.id for s in shifts], giulia, [c.id for c in started], protocol.id


def test_old_shifts_calls_and_protocols_are_listed_after_the_backfill(calls: CallsApplication,
                                                                      clock: FixedClock) -> None:
    shifts, giulia, started, protocol = stored_the_old_way(calls, clock)
    me = Actor(kind="account", id="giulia", name="giulia", role="volunteer", volunteer_id=giulia)
    assert calls.shifts(*WEEK) == [] and calls.protocols() == []
    assert calls.calls(giulia, None, None, None, 0, 100, by=me) == ([], 0)
    assert calls.open_call(giulia, "inbound", SYSTEM_ACCESS) is None

    assert indexes.backfill(calls) == indexes.Backfilled(shifts_placed=3, calls_logged=3, protocols_listed=1)

    assert [s.id for s in calls.shifts(*WEEK)] == shifts  # the cancelled one stays off the rota
    assert len(calls.coverage(rome("2026-11-24 00:00"), 3)) == 12  # 4 hours x 3 days, nobody signed up
    page, total = calls.calls(giulia, None, clock.now() - timedelta(days=60), None, 0, 100, by=me)
    assert [c.id for c in page] == started and total == 3
    assert calls.open_call(giulia, "inbound", SYSTEM_ACCESS).id == started[0]  # type: ignore[union-attr]
    assert [p.id for p in calls.protocols()] == [protocol]


def test_the_backfill_twice_stores_nothing_the_second_time(calls: CallsApplication, clock: FixedClock) -> None:
    stored_the_old_way(calls, clock)
    indexes.backfill(calls)
    head = calls.recorder.max_notification_id()
    assert indexes.backfill(calls) == indexes.Backfilled(0, 0, 0)
    assert calls.recorder.max_notification_id() == head


def test_what_new_code_stored_is_already_indexed_and_skipped(calls: CallsApplication, clock: FixedClock) -> None:
    giulia = register(calls)
    calls.schedule_shift(rome("2026-11-24 10:00"), rome("2026-11-24 14:00"), "helpline", 2)
    moved = calls.schedule_shift(rome("2026-11-25 10:00"), rome("2026-11-25 14:00"), "helpline", 2)
    calls.edit_shift(moved, rome("2026-11-25 15:00"), rome("2026-11-25 19:00"), 2, by=VOLUNTEER)
    calls.clock_in(giulia)
    calls.start_call(giulia, "inbound", None, None)
    calls.create_protocol("Ascolto", STEPS)
    head = calls.recorder.max_notification_id()
    assert indexes.backfill(calls) == indexes.Backfilled(0, 0, 0)
    assert calls.recorder.max_notification_id() == head


def test_a_protocol_created_now_is_in_the_index_with_it(calls: CallsApplication) -> None:
    first = calls.create_protocol("Violenza domestica", STEPS)
    second = calls.create_protocol("Ascolto", STEPS)
    assert indexes.listed_protocols(calls) == [first, second]
    assert [p.name for p in calls.protocols()] == ["Ascolto", "Violenza domestica"]


def test_the_first_start_of_an_old_store_backfills_it_once(tmp_path: Path, clock: FixedClock) -> None:
    settings = Settings(mode="embedded", data_dir=tmp_path / "var")
    product = build(settings, clock)
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication)
    assert not calls.exists(Upgrade.create_id(indexes.UPGRADE))  # an empty store needs none
    shifts, *_ = stored_the_old_way(calls, clock)
    product.stop()

    product = build(settings, clock)
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication)
    assert [s.id for s in calls.shifts(*WEEK)] == shifts
    head = calls.recorder.max_notification_id()
    product.stop()

    product = build(settings, clock)
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication)
    assert calls.recorder.max_notification_id() == head  # recorded as done: not run again
    assert calls.exists(Upgrade.create_id(indexes.UPGRADE))
    assert [m.type for m in product.feeds["calls"].messages()][-1] == "ProtocolIndex.Listed"  # no Upgrade message
    product.stop()


def test_the_backfill_from_the_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FixedClock,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ANGELI_MODE", "embedded")
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    product = build(Settings(mode="embedded", data_dir=tmp_path / "var"), clock)
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication)
    stored_the_old_way(calls, clock)
    product.stop()
    assert main(["calls", "backfill"]) == 0
    assert capsys.readouterr().out.strip() == ("3 shifts placed on their rota, 3 calls added to their call log, "
                                               "1 protocols added to the protocol index")
    assert main(["calls", "backfill"]) == 0
    assert capsys.readouterr().out.startswith("0 shifts placed")
