"""Gift import on the real PostgreSQL: batches, duplicates found in one query per batch, fund snapshots, and
the ledger verifying afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from uuid import uuid4

import pytest

from services.donations.application import DonationsApplication
from services.donations.domain.donor import Donor
from services.donations.domain.fund import Fund
from services.kernel.clock import FixedClock
from services.kernel.readmodel import PostgresStore
from services.kernel.settings import Settings
from services.main import Product, build
from services.privacy.application import UNSAVED_GRACE
from services.projections import ledger
from services.projections.ledger_audit import verify
from tests.donations.conftest import catch_up_ledger
from tests.donations.test_import import counts, export, gift

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_product(pg_settings: Settings, clock: FixedClock) -> Iterator[Product]:
    product = build(pg_settings, clock)
    yield product
    product.stop()


def test_an_export_imported_twice_on_postgres_is_recorded_once_and_the_ledger_verifies(pg_product: Product) -> None:
    donations = pg_product.services["donations"].application
    assert isinstance(donations, DonationsApplication)
    fund = donations.create_fund("Emergenza freddo")
    first = donations.import_gifts(export(*(gift(fund, "2.00", f"PAYID-{n}") for n in range(1_100))))
    assert counts(first) == (1_100, 1_100, 0, 0)
    assert donations.vault.store.query("SELECT person_id FROM vault_unsaved") == []  # every new donor saved
    again = donations.import_gifts(export(*(gift(fund, "2.00", f"PAYID-{n}") for n in range(1_000, 1_300)),
                                          gift(fund, "-2", "PAYID-X")))
    assert counts(again) == (301, 200, 100, 1)
    assert [(x.line, x.outcome) for x in again.lines[:2]] == [(2, "duplicate"), (3, "duplicate")]
    assert donations.existing([fund]) == {fund}

    loaded = donations.get(fund, Fund)
    assert (loaded.version, loaded.balance) == (1_301, Decimal("2600.00"))
    assert donations.snapshots is not None
    assert [s.originator_version for s in donations.snapshots.get(fund, desc=True, limit=1)] == [1_301]

    catch_up_ledger(pg_product)
    store = pg_product.read_stores["ledger"]
    assert isinstance(store, PostgresStore)
    report = verify(pg_product.feeds["donations"], store, ledger.signing_key(pg_product.settings).public_key())
    assert report.ok and report.checked == 1_300
    assert report.head.totals["balance"] == "2600.00"


def test_the_sweep_of_unsaved_donors_runs_on_postgres(pg_product: Product, clock: FixedClock) -> None:
    """A donor an interrupted import never saved is discarded (and purged) by the job; a saved one is kept."""
    donations = pg_product.services["donations"].application
    assert isinstance(donations, DonationsApplication)
    vault = pg_product.vault
    fund = donations.create_fund("Emergenza freddo")
    donations.import_gifts(export(gift(fund, "2.00", "PAYID-1", name="Giulia Rossi")))
    lost, saved = uuid4(), Donor("person", registered_at=clock.now())
    vault.put_many({lost: {"name": "Marco Bianchi"}, saved.id: {"name": "Anna Verdi"}}, unsaved_by="donations")
    donations.save(saved)  # the process stops before it tells the vault
    (job,) = [job for job in pg_product.services["donations"].jobs if job.id == "donations.unsaved_people"]
    clock.advance(2 * UNSAVED_GRACE)
    assert job.run() == 1
    people = {r["person_id"] for r in vault.store.query("SELECT person_id FROM vault_data")}
    assert str(lost) not in people and str(saved.id) in people and len(people) == 2  # Giulia, from the import
    assert vault.store.query("SELECT person_id FROM vault_unsaved") == []
