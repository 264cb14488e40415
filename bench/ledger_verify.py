"""Benchmark: the auditor's replay + verify of the donation ledger on PostgreSQL vs a raw keyset-paged read.

    .venv/bin/python bench/ledger_verify.py [--entries 1000000]

Creates a fresh database, writes money movements through the domain aggregates in batched saves (many
pledges, their fund and their payment-reference claims per save, as the application does), fills the
stored ledger from the replay with COPY, then times
  * raw:    plain keyset-paged SELECTs of the same rows verify reads (the donation events, then the ledger);
  * verify: services.projections.ledger_audit.verify (EventFeed decode, re-derive, re-hash, compare).
Both read the same rows: the donation events of the ledger's types (filtered by type in the database, as the
replay does) and the stored ledger. Prints rows/s for both and the ratio (target: verify at >= 25% of raw).
The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

import psycopg

from services.donations.application import DonationsApplication
from services.donations.domain.fund import Fund
from services.donations.domain.pledge import PaymentReference, Pledge
from services.kernel.eventstore import event_store_env
from services.kernel.feed import EventFeed
from services.kernel.readmodel import PostgresStore, SqliteStore, advance
from services.kernel.settings import Settings
from services.privacy.application import PrivacyVault
from services.projections import ledger
from services.projections.ledger_audit import LEDGER_TYPES, replay, verify
from tests.conftest import create_database, drop_database, scratch_database_name

PAYMENTS_PER_PLEDGE = 10
FUNDS = 10


def generate(app: DonationsApplication, entries: int, pledges_per_save: int) -> None:
    """About `entries` ledger movements: 10 payments of 1.00 per pledge, a disbursement per 100 entries."""
    at = datetime(2026, 1, 1, 9, tzinfo=UTC)
    funds = [Fund(f"Fondo {n}", created_at=at) for n in range(FUNDS)]
    app.save(*funds)
    made = number = 0
    while made < entries:
        batch: list[object] = []
        touched: dict[uuid.UUID, Fund] = {}
        for _ in range(pledges_per_save):
            fund = funds[number % FUNDS]
            pledge = Pledge(uuid4(), fund.id, "money", Decimal("10.00"), at)
            for _ in range(PAYMENTS_PER_PLEDGE):
                payment_id, number = uuid4(), number + 1
                pledge.receive_payment(payment_id, Decimal("1.00"), "card", f"ch_{number}", at)
                fund.credit(pledge.id, payment_id, Decimal("1.00"))
                batch.append(PaymentReference("card", f"ch_{number}", pledge.id, payment_id, Decimal("1.00")))
            if number % 100 == 0:
                fund.disburse(uuid4(), Decimal("5.00"), at, "Spesa", f"FATT-{number}")
                made += 1
            batch.append(pledge)
            touched[fund.id] = fund
            made += PAYMENTS_PER_PLEDGE
            at += timedelta(seconds=7)
        app.save(*batch, *touched.values())


def fill_ledger(feed: EventFeed, store: PostgresStore, head: int) -> int:
    """The stored ledger, written with COPY from the replay (the projection's exact rows; tested equal)."""
    store.create(ledger.SCHEMA)
    count = 0
    with store.pool.connection() as conn, conn.cursor() as cursor:
        columns = ("position, sequence, kind, fund_id, movement_id, amount_cents, fund_balance_cents, entry_date, "
                   "details, previous_hash, hash")
        with cursor.copy(f"COPY ledger_entries ({columns}) FROM STDIN") as copy:
            for entry, _ in replay(feed, head, page=5000):
                copy.write_row((entry.position, entry.sequence, entry.kind, entry.fund_id, entry.movement_id,
                                entry.amount_cents, entry.fund_balance_cents, entry.entry_date, entry.details,
                                entry.previous_hash, entry.hash))
                count += 1
        conn.commit()
    advance(store, ledger.SOURCE, head)
    return count


def raw_read(conninfo: str, table: str, key: str, page: int = 5000, where: str = "TRUE",
             params: tuple[object, ...] = ()) -> int:
    rows, after = 0, -1
    with psycopg.connect(conninfo) as conn:
        while True:
            batch = conn.execute(f"SELECT {key}, * FROM {table} WHERE {key} > %s AND {where} ORDER BY {key} LIMIT %s",
                                 (after, *params, page)).fetchall()
            if not batch:
                return rows
            rows += len(batch)
            after = batch[-1][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="ledger entries to generate (default 1e6)")
    parser.add_argument("--pledges-per-save", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2, help="time raw and verify this many times, keep the best")
    parser.add_argument("--keep", action="store_true", help="keep the generated database for --db reruns")
    parser.add_argument("--db", help="rerun on a database kept with --keep (skips generating)")
    args = parser.parse_args()
    base = Settings.from_env()
    # A kept database is named apart from the scratch ones, which a later test run drops (tests/conftest.py).
    name = args.db or (f"angeli_kept_ledger_{uuid.uuid4().hex[:8]}" if args.keep
                       else scratch_database_name("angeli_bench_ledger"))
    if not args.db:
        create_database(base.postgres, name)
    settings = replace(base, mode="distributed", postgres=replace(base.postgres, dbname=name))
    conninfo = settings.postgres.conninfo()
    try:
        vault = PrivacyVault(SqliteStore(":memory:"), os.urandom(32))
        app = DonationsApplication(event_store_env(settings, "donations"), vault=vault)
        feed = EventFeed("donations", app)
        store = PostgresStore(conninfo, schema="projection_ledger")
        if args.db:
            head = feed.head()
            entries = int(store.tuples("SELECT COUNT(*) FROM ledger_entries")[0][0])
        else:
            started = time.perf_counter()
            generate(app, args.entries, args.pledges_per_save)
            head = feed.head()
            print(f"generated {head:,} donation events in {time.perf_counter() - started:.0f}s")
            started = time.perf_counter()
            entries = fill_ledger(feed, store, head)
            print(f"stored ledger: {entries:,} entries (COPY from replay) in {time.perf_counter() - started:.0f}s")
        events_table = _events_table(conninfo)
        key = ledger.Ed25519PrivateKey.generate().public_key()
        raw_times, verify_times = [], []
        for _ in range(args.repeat):  # alternated; the best of each (the machine may be busy with other work)
            started = time.perf_counter()
            # The same rows verify reads: the donation events of the ledger's types (the replay filters by type
            # in the database too), then the stored ledger.
            raw_rows = raw_read(conninfo, events_table, "notification_id",
                                where="split_part(topic, ':', 2) = ANY(%s)", params=(sorted(LEDGER_TYPES),))
            raw_rows += raw_read(conninfo, "projection_ledger.ledger_entries", "sequence")
            raw_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = verify(feed, store, key)
            verify_times.append(time.perf_counter() - started)
        raw_seconds, verify_seconds = min(raw_times), min(verify_times)
        print(f"runs (s): raw {', '.join(f'{t:.1f}' for t in raw_times)}; "
              f"verify {', '.join(f'{t:.1f}' for t in verify_times)}")
        assert report.ok and report.checked == entries, report.lines()[:5]
        events = raw_rows - entries
        print(f"raw keyset SELECT : {raw_rows:,} rows in {raw_seconds:.1f}s = {raw_rows / raw_seconds:,.0f} rows/s")
        print(f"replay + verify   : {raw_rows:,} rows ({events:,} ledger-type events of {head:,}, {entries:,} entries) "
              f"in {verify_seconds:.1f}s = {raw_rows / verify_seconds:,.0f} rows/s, "
              f"{events / verify_seconds:,.0f} events/s, "
              f"{entries / verify_seconds:,.0f} ledger entries/s")
        print(f"ratio verify/raw  : {raw_seconds / verify_seconds:.1%} (target >= 25%)")
        store.close()
        app.close()
    finally:
        if args.keep or args.db:
            print(f"kept database {name}: rerun with --db {name}")
        else:
            drop_database(base.postgres, name)


def _events_table(conninfo: str) -> str:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT table_schema, table_name FROM information_schema.columns "
                           "WHERE column_name = 'notification_id' AND table_schema = 'donations'").fetchone()
    assert row is not None, "no donations event table found"
    return f"{row[0]}.{row[1]}"


if __name__ == "__main__":
    main()
