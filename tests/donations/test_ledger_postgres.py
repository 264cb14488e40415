"""The ledger on the real PostgreSQL: the PG event store and read store, the same hashes as SQLite."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from uuid import uuid4

import pytest

from services.donations.application import FUND_SNAPSHOT_INTERVAL, DonationsApplication
from services.donations.domain.donor import Donor
from services.donations.domain.fund import Fund
from services.kernel.clock import FixedClock
from services.kernel.follower import EmbeddedFollower, ProjectionSubscriber
from services.kernel.messages import Message
from services.kernel.readmodel import PostgresStore, SqliteStore, apply_batch
from services.kernel.settings import Settings
from services.main import Product, build
from services.projections import ledger
from services.projections.ledger_audit import verify
from tests.donations.conftest import catch_up_ledger
from tests.donations.test_ledger import history

pytestmark = pytest.mark.postgres

HASHES = "SELECT sequence, position, amount_cents, fund_balance_cents, previous_hash, hash FROM ledger_entries " \
         "ORDER BY sequence"


@pytest.fixture
def pg_product(pg_settings: Settings, clock: FixedClock) -> Iterator[Product]:
    product = build(pg_settings, clock)
    history(product.services["donations"].application)  # type: ignore[arg-type]
    catch_up_ledger(product)  # in-process feeds over the PostgreSQL event store, in position order
    yield product
    product.stop()


def test_ledger_on_postgres_verifies_and_locates_an_edited_amount(pg_product: Product) -> None:
    store = pg_product.read_stores["ledger"]
    assert isinstance(store, PostgresStore)
    key = ledger.signing_key(pg_product.settings).public_key()
    report = verify(pg_product.feeds["donations"], store, key)
    assert report.ok and report.checked == 6
    assert report.head.totals["balance"] == "85.00"
    with store.transaction() as tx:
        tx.execute("UPDATE ledger_entries SET amount_cents = amount_cents + 1 WHERE sequence = 4")
        tx.execute("DELETE FROM ledger_entries WHERE sequence = 5")
    differences = verify(pg_product.feeds["donations"], store, key).differences
    assert [(d.sequence, d.problem) for d in differences] == [(4, "changed"), (5, "missing")]
    assert "amount expected 40.00 stored 40.01" in differences[0].detail


def test_rebuilding_from_zero_on_postgres_and_sqlite_gives_byte_identical_hashes(
    pg_product: Product, pg_settings: Settings, tmp_path: Path
) -> None:
    rebuilt = PostgresStore(pg_settings.postgres.conninfo(), schema="ledger_rebuilt")
    sqlite = SqliteStore(str(tmp_path / "ledger.db"))
    try:
        EmbeddedFollower(pg_product.feeds, [ProjectionSubscriber(ledger.PROJECTION, rebuilt),
                                            ProjectionSubscriber(ledger.PROJECTION, sqlite)]).catch_up()
        original = pg_product.read_stores["ledger"].query(HASHES)
        assert len(original) == 6
        assert rebuilt.query(HASHES) == original
        assert sqlite.query(HASHES) == original
    finally:
        rebuilt.close()


def test_two_consumers_chaining_different_partitions_at_once_keep_one_contiguous_chain(pg_settings: Settings) -> None:
    """Distributed, each partition may have its own consumer process: their batches reach the ledger at the same
    time, and the chain must still come out exactly as a replay in position order gives it."""
    store = PostgresStore(pg_settings.postgres.conninfo(), schema="projection_ledger_race")
    store.create(ledger.PROJECTION.schema)
    fund, pledges = str(uuid4()), [str(uuid4()) for _ in range(2)]
    made = [Message("donations", n + 1, "Pledge.Made", 1, pledge, "2026-11-23T09:00:00+00:00",
                    {"fund_id": fund}) for n, pledge in enumerate(pledges)]
    apply_batch(store, ledger.PROJECTION, made, part=0)

    def payment(position: int) -> Message:
        return Message("donations", position, "Pledge.PaymentReceived", 1, pledges[position % 2],
                       "2026-11-23T09:00:00+00:00",
                       {"payment_id": str(uuid4()), "amount": "1.00", "method": "card", "reference": f"ch_{position}",
                        "received_at": "2026-11-23T09:00:00+00:00"})

    start = threading.Barrier(2)

    def consumer(part: int) -> None:  # partition `part` holds the payments of pledge `part`
        start.wait()
        for position in range(10 + part, 410, 2):
            apply_batch(store, ledger.PROJECTION, [payment(position)], part=part)

    threads = [threading.Thread(target=consumer, args=(part,)) for part in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    rows = store.query("SELECT sequence, position, fund_balance_cents, previous_hash, hash FROM ledger_entries "
                       "ORDER BY position")
    assert [r["sequence"] for r in rows] == list(range(1, 401))
    assert [r["fund_balance_cents"] for r in rows] == [100 * n for n in range(1, 401)]
    assert all(row["previous_hash"] == before["hash"] for before, row in itertools.pairwise(rows))
    store.close()


def test_a_donor_and_a_snapshotted_fund_read_together_are_what_each_read_alone_gives(
        pg_settings: Settings, clock: FixedClock) -> None:
    # Given a fund with more payments than its snapshot interval (so a snapshot and events after it) and a donor
    product = build(pg_settings, clock)
    try:
        donations = product.services["donations"].application
        assert isinstance(donations, DonationsApplication)
        donor = donations.register_donor("person", {"name": "Giulia Rossi"})
        fund = donations.create_fund("Fondo famiglie")
        for n in range(FUND_SNAPSHOT_INTERVAL + 3):  # each payment an event on the fund
            pledge = donations.make_pledge(donor, fund, "money", D("10.00"))
            donations.receive_payment(pledge, D("10.00"), "card", f"ch_{n}")
        assert donations.snapshots is not None and list(donations.snapshots.get(fund))
        # When both are read in one statement
        found = donations.get_together([donor, fund, uuid4()])
        # Then each is what a read alone gives, from the snapshot and the events after it; an unknown id is absent
        assert set(found) == {donor, fund}
        alone = donations.get(fund, Fund)
        together = found[fund]
        assert isinstance(together, Fund)
        assert (together.version, together.balance) == (alone.version, alone.balance) == (
            alone.version, D("1030.00"))
        assert found[donor].version == donations.get(donor, Donor).version
        # And a pledge's answer is the pledge as saved, the one a later read gives
        answered = donations.record_pledge(donor, fund, "money", D("25.00"))
        assert answered == donations.pledge(answered.id)
    finally:
        product.stop()
