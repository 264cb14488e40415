"""Gift import of a PayPal export: lines per second of the preview (nothing stored) and of the import itself, each
with its per-line report, on the embedded stores (SQLite) and on PostgreSQL, and the process's peak RSS.

The export is the CSV the import reads (services/donations/gifts.py) as a PayPal export fills it: each line a new
donor's name and e-mail, the fund, an amount in euro, method `paypal`, a PAYID reference and the day and time
received. One line in 1,000 repeats an earlier line's reference (a duplicate, recorded once) and one in 1,000 is
bad (an amount with three decimals, rejected), so the report lists about 0.2% of the lines with their reasons.
Every line that imports registers its donor (personal data sealed in the vault, search entries built) and makes a
pledge paid at once that credits the fund — the same code as POST /donations/import/preview and POST
/donations/import (called here through the application, without the upload).

A baseline file (5,000 lines by default) runs first in the same run, on stores of its own, to show how the
figures scale. Each file and mode runs in a process of its own, so its peak RSS (the high-water mark, printed
after each step) is its own.

Run: `.venv/bin/python -m bench.gift_import [--mode embedded|distributed|both] [--lines 50000] [--baseline 5000]`
(distributed needs PostgreSQL from deploy/ running: deploy/postgres/start.sh, ANGELI_PG_* as for the tests).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import scratch_database
from services.donations.application import DonationsApplication
from services.donations.gift_import import GiftImportReport
from services.kernel.clock import FixedClock
from services.kernel.eventstore import event_store_env
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.privacy.main import open_vault

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HEADER = "donor_name,donor_email,fund_id,amount,currency,method,reference,received_at"
FIRST = ("Giulia", "Marco", "Anna", "Luca", "Sara", "Paolo", "Chiara", "Matteo", "Elena", "Davide")
LAST = ("Rossi", "Bianchi", "Ferrari", "Russo", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco")


def export(lines: int, fund: str) -> bytes:
    """`lines` PayPal lines over the 30 days before NOW; every 1000th a duplicate, every 1000th + 500 bad."""
    rows = [HEADER]
    for n in range(1, lines + 1):
        if n % 1000 == 0:  # the line before, exported twice
            rows.append(rows[-1])
            continue
        amount = "12.345" if n % 1000 == 500 else f"{5 + n % 95}.{n % 100:02d}"
        received = (NOW - timedelta(minutes=n % (30 * 24 * 60) + 1)).isoformat()
        name = f"{FIRST[n % 10]} {LAST[n // 10 % 10]} {n}"
        rows.append(f"{name},donor{n}@example.org,{fund},{amount},EUR,paypal,PAYID-{n:08d},{received}")
    return ("\n".join(rows) + "\n").encode()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def summary(report: GiftImportReport) -> str:
    return (f"{report.rows:,} lines: {report.imported:,} imported, {report.duplicates:,} duplicates, "
            f"{report.rejected:,} rejected, {len(report.lines):,} lines in the report")


@contextmanager
def stores(mode: str, name: str) -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as folder:
        if mode == "embedded":
            yield Settings(mode="embedded", data_dir=Path(folder))
        else:
            with scratch_database(f"angeli_bench_{name}") as postgres:
                yield Settings(mode="distributed", data_dir=Path(folder), postgres=postgres)


def run(mode: str, lines: int) -> None:
    with stores(mode, "import") as settings:
        vault = open_vault(settings)
        app = DonationsApplication(event_store_env(settings, "donations"), vault=vault, clock=FixedClock(NOW),
                                   search_key=secret(settings, "donor_search_key"))
        try:
            content = export(lines, str(app.create_fund("Fondo famiglie")))
            print(f"{mode}, {lines:,} lines ({len(content) / 1e6:.1f} MB):")
            for label, act in (("preview", app.preview_gift_import), ("import", app.import_gifts)):
                started = time.perf_counter()
                report = act(io.BytesIO(content))
                elapsed = time.perf_counter() - started
                print(f"  {label:<8} {elapsed:7.1f} s = {report.rows / elapsed:7,.0f} lines/s   {summary(report)};"
                      f" peak RSS {peak_rss_mb():,.0f} MB")
                first = report.lines[0] if report.lines else None
                if first and label == "import":
                    print(f"           e.g. line {first.line}: {first.outcome}, {first.reason}")
            started = time.perf_counter()
            again = app.preview_gift_import(io.BytesIO(content))
            elapsed = time.perf_counter() - started
            print(f"  preview of the same file again (all duplicates now) {elapsed:.1f} s = "
                  f"{again.rows / elapsed:,.0f} lines/s   {again.duplicates:,} duplicates")
        finally:
            vault.store.close()
            vault.trail.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("embedded", "distributed", "both"), default="both")
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--baseline", type=int, default=5_000, help="a smaller file first, 0 for none")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # this process: one mode, one file
    args = parser.parse_args()
    for name in ("VAULT_KEY", "DONOR_SEARCH_KEY"):  # keys of this run's own, made under its folder
        os.environ.pop(f"ANGELI_{name}", None)
        os.environ.pop(f"ANGELI_{name}_FILE", None)
    if args.one:
        print(f"  (peak RSS before the file is made {peak_rss_mb():,.0f} MB)")
        run(args.mode, args.lines)
        return
    for mode in (("embedded", "distributed") if args.mode == "both" else (args.mode,)):
        for lines in ([args.baseline] if args.baseline else []) + [args.lines]:
            subprocess.run([sys.executable, "-m", "bench.gift_import", "--one", "--mode", mode, "--lines", str(lines)],
                           check=True)


if __name__ == "__main__":
    main()
