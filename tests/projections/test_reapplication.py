"""Every read model applies a history of many aggregates from three sources the same way, however the messages
are batched, and a redelivered batch (a relay that republished after a crash) changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.calls.domain.directory import Municipality
from services.calls.domain.volunteer import Role
from services.campaigns.domain.contact import Plan
from services.kernel.readmodel import Projection, ReadStore, apply_batch
from services.projections import (
    board,
    call_stats,
    campaign_progress,
    catalogue,
    desk,
    directory,
    ledger,
    roster,
    transparency,
    volunteer_hours,
)
from tests.projections.conftest import Calls, Campaigns, Donations, ReadModelOf, Sources, rome

PROJECTIONS = [ledger.PROJECTION, transparency.PROJECTION, volunteer_hours.PROJECTION, call_stats.PROJECTION,
               campaign_progress.PROJECTION, catalogue.PROJECTION, roster.PROJECTION, directory.PROJECTION,
               board.PROJECTION, desk.PROJECTION]


@pytest.fixture
def history(calls: Calls, campaigns: Campaigns, donations: Donations) -> None:
    """A Monday at the centre: Giulia and Marco take calls, Natale 2026 reaches two people, money comes and goes;
    Luca clocks in on Wednesday."""
    giulia, marco = calls.volunteer(rome("2026-11-01 09:00")), calls.volunteer(rome("2026-11-01 09:00"), Role.OUTREACH)
    calls.clock_in(giulia, rome("2026-11-23 09:00"))
    calls.clock_in(marco, rome("2026-11-23 09:30"))
    calls.call(giulia, rome("2026-11-23 09:45"), "answered", talk_seconds=300)
    calls.call(marco, rome("2026-11-23 10:05"), "no_answer")
    cantu = Municipality("013041", "Cantù", rome("2026-11-01 09:00"))
    cantu.add_number("health", "118", rome("2026-11-01 09:00"))
    cantu.add_number("social", "031 799 111", rome("2026-11-01 09:00"))
    calls.save(cantu)
    calls.clock_out(giulia, rome("2026-11-23 13:00"))
    calls.clock_out(marco, rome("2026-11-23 12:30"))
    natale = campaigns.campaign("Natale 2026", rome("2026-11-01 09:00"))
    rossi, bianchi = (campaigns.contact(natale, rome("2026-11-20 09:00")) for _ in range(2))
    campaigns.attempt(rossi, marco.id, "pledged", rome("2026-11-23 10:15"), Plan(None, "closed", "pledged"))
    campaigns.attempt(bianchi, marco.id, "busy", rome("2026-11-23 10:25"), Plan(rome("2026-11-23 14:25"), "retry", ""))
    famiglie = donations.fund("Fondo famiglie", rome("2026-11-01 09:00"))
    pledge = donations.pledge(famiglie, "50.00", rome("2026-11-23 10:20"), campaign_id=str(natale.id),
                              volunteer_id=str(marco.id))
    paid = donations.pay(pledge, famiglie, "50.00", rome("2026-11-23 10:21"))
    other = donations.pledge(famiglie, "80.00", rome("2026-11-23 11:00"))
    donations.pay(other, famiglie, "80.00", rome("2026-11-23 11:01"))
    donations.reverse(pledge, famiglie, paid, "15.00", rome("2026-11-24 09:00"))
    donations.disburse(famiglie, "40.00", rome("2026-11-25 09:00"))
    coats = donations.pledge(famiglie, "90.00", rome("2026-11-25 10:00"), kind="goods", description="Cappotti",
                             quantity=3)
    coats.receive_goods(uuid4(), 2, rome("2026-11-25 10:00") + timedelta(hours=1))
    donations.save(coats)
    luca = calls.volunteer(rome("2026-11-01 09:00"))
    calls.clock_in(luca, rome("2026-11-25 08:00"))  # still on the board at the end of the history


def tables(projection: Projection) -> list[str]:
    return [ddl.split()[5] for ddl in projection.schema if ddl.startswith("CREATE TABLE")]


def rows(store: ReadStore, projection: Projection) -> dict[str, list[tuple[Any, ...]]]:
    return {table: sorted(tuple(str(v) for v in row.values()) for row in store.query(f"SELECT * FROM {table}"))
            for table in tables(projection)}


def by_name(projection: Projection) -> str:
    return projection.name


@pytest.mark.parametrize("projection", PROJECTIONS, ids=by_name)
def test_one_message_at_a_time_gives_the_rows_the_follower_s_batches_give(
    projection: Projection, history: None, read_model: ReadModelOf, sources: Sources
) -> None:
    followed = read_model(projection)
    followed.catch_up()
    one_by_one = read_model(projection)
    one_by_one.store.create(projection.schema)
    for source in projection.sources:
        for message in sources.messages(source):
            assert apply_batch(one_by_one.store, projection, [message]) == 1
    assert rows(one_by_one.store, projection) == rows(followed.store, projection)
    assert any(rows(followed.store, projection).values()), "the history gave this read model nothing to show"


@pytest.mark.parametrize("projection", PROJECTIONS, ids=by_name)
def test_a_redelivered_batch_is_skipped_and_the_position_stays(
    projection: Projection, history: None, read_model: ReadModelOf, sources: Sources
) -> None:
    # Given the read model caught up with every source
    model = read_model(projection)
    model.catch_up()
    before, positions = rows(model.store, projection), model.store.positions()
    heads = {(source, 0): sources.feeds[source].head() for source in projection.sources}
    assert positions == heads
    # When every source's messages are delivered again, in one batch each
    for source in projection.sources:
        assert apply_batch(model.store, projection, sources.messages(source)) == 0
    # Then no row changed and the tracked positions stayed
    assert rows(model.store, projection) == before
    assert model.store.positions() == positions


@pytest.mark.parametrize("projection", PROJECTIONS, ids=by_name)
def test_a_batch_overlapping_what_was_applied_applies_only_the_new_messages(
    projection: Projection, history: None, read_model: ReadModelOf, sources: Sources
) -> None:
    # Given the first half of each source applied, then the whole of it delivered (the first half again)
    model = read_model(projection)
    model.store.create(projection.schema)
    for source in projection.sources:
        messages = sources.messages(source)
        half = len(messages) // 2
        assert apply_batch(model.store, projection, messages[:half]) == half
        # Then only the second half is applied, and the rows equal a straight run's
        assert apply_batch(model.store, projection, messages) == len(messages) - half
    straight = read_model(projection)
    straight.catch_up()
    assert rows(model.store, projection) == rows(straight.store, projection)
