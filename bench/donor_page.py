"""The donor page's data for a donor with ten years of monthly gifts: p50/p99 of each JSON route the page reads
(services/console/static/donor.js), embedded (SQLite) and on PostgreSQL.

The donor set up a €10 monthly SEPA commitment ten years ago and gave every month since: 120 gifts, each a pledge
made and paid and the commitment's gift (the import's regular-gift path, with the product's clock at each gift's
day), one consent given. Beside her, `--others` donors gave once each to the same fund. The read models (ledger,
transparency, receipts) are caught up before timing. Each route is called `--repeats` times in turn through the
HTTP app in-process (TestClient, an administrator's API key: the access trail section is an administrator's), so
a figure includes routing, the policy check, the vault reads with their access events and the JSON.

A route this branch does not have is printed as absent (the donor page grows with other work).

Run: `.venv/bin/python -m bench.donor_page [--mode embedded|distributed|both] [--repeats 200] [--others 1000]`
(distributed needs PostgreSQL from deploy/ running: deploy/postgres/start.sh, ANGELI_PG_* as for the tests).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from bench import scratch_database
from services.donations.application import DonationsApplication
from services.identity.domain import SYSTEM
from services.kernel.clock import FixedClock
from services.kernel.follower import EmbeddedFollower
from services.kernel.settings import Settings
from services.main import build, create_api_for

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
START = date(2016, 12, 1)
MONTHS = 120


def routes(donor: str) -> list[tuple[str, str]]:
    """What the donor page reads, in its order."""
    return [("record", f"/donors/{donor}/record"), ("pledges (120)", f"/donors/{donor}/pledges"),
            ("receipts", f"/donors/{donor}/receipts"), ("commitments", f"/donors/{donor}/commitments"),
            ("funds (names)", "/transparency/funds"), ("contacts", f"/donors/{donor}/contacts"),
            ("consents", f"/donors/{donor}/consents"),
            ("access trail", f"/privacy/access-log?person_id={donor}&limit=50")]


@contextmanager
def settings_for(mode: str) -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as folder:
        if mode == "embedded":
            yield Settings(mode="embedded", data_dir=Path(folder) / "var")
        else:
            with scratch_database("angeli_bench_donor_page") as postgres:
                yield Settings(mode="distributed", data_dir=Path(folder) / "var", postgres=postgres)


def load(donations: DonationsApplication, clock: FixedClock, others: int) -> str:
    clock.set(datetime(START.year, START.month, START.day, 9, tzinfo=UTC) - timedelta(days=20))
    fund = donations.create_fund("Fondo famiglie")
    giulia = donations.register_donor("person", {"name": "Giulia Rossi", "email": "giulia@example.org",
                                                 "phone": "+39 347 1234567", "tax_code": "RSSGLI80A41F205X"},
                                      consents=[("email", "modulo cartaceo")], by=SYSTEM)
    donations.set_up_commitment(giulia, fund, Decimal("10.00"), "monthly", 1, START, method="sepa",
                                mandate="ANGELI-RSS-0001", mandate_signed_on=START - timedelta(days=25))
    for month in range(MONTHS):
        year, index = START.year + (START.month - 1 + month) // 12, (START.month - 1 + month) % 12 + 1
        day = datetime(year, index, 2, 9, tzinfo=UTC)
        clock.set(day)
        donations.receive_regular_gift(giulia, fund, Decimal("10.00"), "sepa", f"SDD-{year}{index:02d}", day,
                                       "ANGELI-RSS-0001")
    clock.set(NOW - timedelta(days=30))
    for n in range(others):
        donor = donations.register_donor("person", {"name": f"Donatore {n:05d}"})
        pledge = donations.make_pledge(donor, fund, "money", Decimal(f"{5 + n % 95}.00"))
        donations.receive_payment(pledge, Decimal(f"{5 + n % 95}.00"), "bank_transfer", f"CRO-{n}")
    clock.set(NOW)
    return str(giulia)


def run(mode: str, repeats: int, others: int) -> None:
    with settings_for(mode) as settings:
        clock = FixedClock(NOW)
        product = build(settings, clock)
        try:
            donations: DonationsApplication = product.services["donations"].application  # type: ignore[assignment]
            started = time.perf_counter()
            donor = load(donations, clock, others)
            EmbeddedFollower(product.feeds, product.subscribers).catch_up()
            print(f"{mode}: {MONTHS} monthly gifts and a commitment for one donor, {others:,} other donors, read "
                  f"models caught up, in {time.perf_counter() - started:.0f} s")
            client = TestClient(create_api_for(product))
            client.headers["X-API-Key"] = product.identity.create_key(  # type: ignore[union-attr]
                "bench", "administrator", SYSTEM)[1]
            for _ in range(60):  # the trail shows the page's last 50 reads of her data: some to show
                assert client.get(f"/donors/{donor}/record").status_code == 200
            EmbeddedFollower(product.feeds, product.subscribers).catch_up()
            total_p50 = 0.0
            for label, path in routes(donor):
                first = client.get(path)
                if first.status_code == 404 and first.json().get("detail") == "Not Found":
                    print(f"  {label:<15} absent on this branch")
                    continue
                assert first.status_code == 200, (path, first.text)
                times = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    answer = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert answer.status_code == 200, answer.text
                times.sort()
                p50, p99 = statistics.median(times), times[min(len(times) - 1, round(len(times) * 0.99))]
                total_p50 += p50
                items = answer.json()
                count = f"{len(items)} items, " if isinstance(items, list) else ""
                print(f"  {label:<15} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms  ({count}{len(answer.content):,} bytes)")
            print(f"  the page's data, one route after another: {total_p50:.0f} ms at p50 (the page reads them "
                  f"mostly in turn)")
        finally:
            product.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("embedded", "distributed", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--others", type=int, default=1000)
    args = parser.parse_args()
    for name in ("VAULT_KEY", "DONOR_SEARCH_KEY"):  # keys of this run's own, made under its folder
        os.environ.pop(f"ANGELI_{name}", None)
        os.environ.pop(f"ANGELI_{name}_FILE", None)
    for mode in (("embedded", "distributed") if args.mode == "both" else (args.mode,)):
        run(mode, args.repeats, args.others)


if __name__ == "__main__":
    main()
