"""Dialer benchmark on the real PostgreSQL: next-contact latency with 50 concurrent volunteers over 100,000
contacts (target p99 < 50 ms), and the calendar engine's throughput (contacts/s).

    .venv/bin/python bench/dialer.py [--contacts 100000] [--volunteers 50] [--requests 1000]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.campaigns import main as campaigns
from services.campaigns.application import CampaignsApplication
from services.campaigns.calendar import ITALY_2024, CampaignWindow, Reach, Rules, next_allowed
from services.campaigns.dialer import queue
from services.campaigns.dialer.leasing import Dialer
from services.kernel.clock import FixedClock
from services.kernel.readmodel import open_store
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.kernel.vault import PrivacyVault

SCRIPT = ("Buongiorno {first_name}. {privacy_notice}",
          "Dati trattati da Angeli ETS; può chiedere di non essere chiamato.")
MONDAY_10_ROME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def calendar_throughput(contacts: int) -> None:
    window = CampaignWindow(first_day=date(2026, 1, 1), last_day=date(2027, 12, 31))
    zones = ["Europe/Rome", "America/New_York", "Europe/London", "Asia/Tokyo"]
    towns = ["Milano", "Roma", "Torino", ""]
    reaches = [Reach((zones[i % 4],), towns[i % 4]) for i in range(contacts)]
    start = MONDAY_10_ROME
    t0 = time.perf_counter()
    for i, reach in enumerate(reaches):
        at = start + timedelta(minutes=(i * 7) % (60 * 24 * 30))
        next_allowed(Rules(window, ITALY_2024, reach), at)
    cached = time.perf_counter() - t0
    print(f"calendar engine: next allowed interval for {contacts} contacts in {cached:.2f}s "
          f"= {contacts / cached:,.0f} contacts/s (per-day results cached, 4 zones x 4 towns, 30 days of instants)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--volunteers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="leases to measure in the burst phase")
    args = parser.parse_args()
    calendar_throughput(20_000)

    admin = Settings.from_env().postgres
    name = f"angeli_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(mode="distributed", data_dir=Path(tmp), postgres=replace(admin, dbname=name))
            run(settings, args)
    finally:
        with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(settings: Settings, args: argparse.Namespace) -> None:
    clock = FixedClock(MONDAY_10_ROME)
    vault = PrivacyVault(open_store(settings, "vault"), secret(settings, "vault_key"), clock=clock)
    application = campaigns.build(settings, clock, vault).application
    assert isinstance(application, CampaignsApplication)
    campaign_id = application.create_campaign(
        "Bench", uuid.uuid4(), Decimal("100000.00"), date(2026, 11, 1), date(2026, 12, 31),
        {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
        ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], SCRIPT, 5)
    application.import_register(io.BytesIO(b"phone\n"), date(2026, 11, 22))
    rows = "telefono;comune\n" + "".join(f"+39 02 {3000000 + i};{'Milano' if i % 3 else 'Roma'}\n"
                                         for i in range(args.contacts))
    t0 = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 5:
            last[0] = time.perf_counter()
            print(f"  import: {done}/{total} rows")

    report = application.import_contacts(campaign_id, io.BytesIO(rows.encode()), progress)
    took = time.perf_counter() - t0
    print(f"import: {report.imported} contacts in {took:.1f}s = {report.imported / took:,.0f} rows/s")
    application.launch(campaign_id)
    dialer = Dialer(application)
    volunteers = [uuid.uuid4() for _ in range(args.volunteers)]
    for volunteer in volunteers:
        queue.set_presence(application.queue, str(volunteer), True, MONDAY_10_ROME.isoformat())

    latencies: list[float] = []
    lock = threading.Lock()
    per_volunteer = args.requests // args.volunteers

    def volunteer_loop(volunteer: uuid.UUID, gate: threading.Barrier) -> None:
        gate.wait()
        for _ in range(per_volunteer):
            t = time.perf_counter()
            offer = dialer.next_contact(campaign_id, volunteer)
            elapsed = time.perf_counter() - t
            assert offer is not None
            # The volunteer hands the contact back (keeps the queue full), which is not timed.
            dialer.hand_back(offer.contact_id, volunteer, "bench")
            with lock:
                latencies.append(elapsed * 1000)

    gate = threading.Barrier(args.volunteers)
    threads = [threading.Thread(target=volunteer_loop, args=(v, gate)) for v in volunteers]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
    print(f"next-contact, {args.volunteers} volunteers asking back to back (burst), {args.contacts} contacts, "
          f"PostgreSQL: {len(latencies)} leases, p50 {p50:.1f} ms, p99 {p99:.1f} ms "
          f"(target 50 ms: p99/target = {p99 / 50:.2f}); throughput {len(latencies) / wall:,.0f} leases/s")
    single: list[float] = []
    for _ in range(200):
        t = time.perf_counter()
        offer = dialer.next_contact(campaign_id, volunteers[0])
        single.append((time.perf_counter() - t) * 1000)
        assert offer is not None
        dialer.hand_back(offer.contact_id, volunteers[0], "bench")
    print(f"next-contact, one volunteer at a time: p50 {statistics.median(single):.1f} ms, "
          f"p99 {percentile(single, 0.99):.1f} ms (p99/target = {percentile(single, 0.99) / 50:.2f})")
    application.close()


if __name__ == "__main__":
    main()
