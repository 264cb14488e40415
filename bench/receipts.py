"""Receipt documents: PDF receipts per second (GET /receipts/{year}/{number}.pdf, each with its vault read and access
event) and the time for the yearly batch of 10,000 as one ZIP (GET /receipts/{year}.zip, streamed).

The embedded default (SQLite, in-process follower) on a temporary folder, called through the HTTP app in-process.
Each donor gives one fulfilled pledge, so the year has as many receipts as donors.

Run: `.venv/bin/python -m bench.receipts [--receipts 10000] [--singles 200]`
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
import zipfile
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient

from services.donations.application import DonationsApplication
from services.identity.domain import SYSTEM
from services.kernel.clock import FixedClock
from services.kernel.follower import EmbeddedFollower
from services.kernel.settings import Settings
from services.main import build, create_api_for

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--receipts", type=int, default=10_000, help="receipts in the year (one per donor)")
    parser.add_argument("--singles", type=int, default=200, help="single PDFs to time")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="angeli-bench-receipts-"))
    product = build(Settings(mode="embedded", data_dir=folder / "var"), FixedClock(NOW))
    try:
        donations: DonationsApplication = product.services["donations"].application  # type: ignore[assignment]
        started = time.perf_counter()
        fund = donations.create_fund("Fondo famiglie")
        for i in range(args.receipts):
            donor = donations.register_donor("person", {"name": f"Donatrice Niccolò {i:05d}",
                                                        "tax_code": f"RSSGLI80A41F{i % 1000:03d}X"})
            pledge = donations.make_pledge(donor, fund, "money", Decimal(f"{10 + i % 490}.50"))
            donations.receive_payment(pledge, Decimal(f"{10 + i % 490}.50"), "bank_transfer", f"CRO-{i}")
        mine = [s for s in product.subscribers if s.name in ("ledger", "transparency")]
        EmbeddedFollower(product.feeds, mine).catch_up()
        print(f"set-up: {args.receipts:,} donors, pledges and payments in {time.perf_counter() - started:.1f} s")
        client = TestClient(create_api_for(product))
        client.headers["X-API-Key"] = product.identity.create_key("bench", "auditor", SYSTEM)[1]  # type: ignore[union-attr]
        singles = min(args.singles, args.receipts)
        started = time.perf_counter()
        for n in range(1, singles + 1):
            answer = client.get(f"/receipts/{NOW.year}/{n}.pdf")
            assert answer.status_code == 200, answer.text
        elapsed = time.perf_counter() - started
        print(f"single PDFs: {singles} in {elapsed:.2f} s = {singles / elapsed:.1f} receipts/s "
              f"({elapsed / singles * 1000:.0f} ms each, {len(answer.content):,} bytes)")
        started = time.perf_counter()
        size, first_byte = 0, None
        buffer = io.BytesIO()
        with client.stream("GET", f"/receipts/{NOW.year}.zip") as answer:
            assert answer.status_code == 200
            for chunk in answer.iter_bytes():
                first_byte = first_byte or time.perf_counter() - started
                buffer.write(chunk)
                size += len(chunk)
        elapsed = time.perf_counter() - started
        members = len(zipfile.ZipFile(buffer).namelist())
        print(f"yearly ZIP: {members:,} receipts, {size / 1e6:.1f} MB in {elapsed:.1f} s = "
              f"{members / elapsed:.1f} receipts/s; first byte after {first_byte or 0:.2f} s")
    finally:
        product.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
