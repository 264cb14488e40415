"""Privacy vault: the price of recording every read as an access event, and of rotating the master key.

Reads one person at a time (as the dialer does for each offer) three ways on the same vault: with the
access trail in memory (the read alone, the baseline), and with the installation's trail: the `privacy`
event store (SQLite file embedded, PostgreSQL schema distributed), one event durably stored per read.
Then rotates the master key over every person key and reports its duration.

Run: `.venv/bin/python -m bench.vault [--mode embedded|distributed|both] [--persons 20000] [--reads 2000]`
(distributed needs PostgreSQL from deploy/ running).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

from bench import scratch_database
from services.identity.domain import SYSTEM_ACCESS
from services.kernel.clock import SystemClock
from services.kernel.readmodel import open_store
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.privacy.application import PrivacyVault
from services.privacy.main import open_vault
from services.privacy.trail import AccessTrail

FIELDS = ("first_name", "last_name", "phone")


def reads_per_second(vault: PrivacyVault, people: list[uuid.UUID], reads: int) -> float:
    started = time.perf_counter()
    for n in range(reads):
        vault.get(people[n % len(people)], SYSTEM_ACCESS, fields=FIELDS)
    return reads / (time.perf_counter() - started)


def run(settings: Settings, persons: int, reads: int) -> None:
    vault = open_vault(settings)
    people = [uuid.uuid4() for _ in range(persons)]
    for start in range(0, persons, 2000):
        vault.put_many({p: {"first_name": "Giulia", "last_name": "Rossi", "phone": "+39 02 1234 5678",
                            "email": "giulia@example.org"} for p in people[start:start + 2000]})
    in_memory = PrivacyVault(open_store(settings, "vault"), secret(settings, "vault_key"), SystemClock(),
                             AccessTrail({"PERSISTENCE_MODULE": "eventsourcing.popo"}))
    baseline = reads_per_second(in_memory, people, reads)
    audited = reads_per_second(vault, people, reads)
    started = time.perf_counter()
    rotated = vault.rotate(os.urandom(32))
    rotation = time.perf_counter() - started
    print(f"{settings.mode}: {persons:,} persons; reads/s with the trail in memory {baseline:,.0f}, "
          f"with each access event stored {audited:,.0f} (ratio {audited / baseline:.2f} of the read alone); "
          f"rotate-key re-wrapped {rotated:,} person keys in {rotation:.1f} s "
          f"({rotated / rotation:,.0f} keys/s, table rewrite included)")
    vault.store.close()
    vault.trail.close()
    in_memory.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("embedded", "distributed", "both"), default="both")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--reads", type=int, default=2_000)
    args = parser.parse_args()
    if args.mode in ("embedded", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run_with(Settings(mode="embedded", data_dir=Path(folder)), args.persons, args.reads)
    if args.mode in ("distributed", "both"):
        with scratch_database("angeli_bench_vault") as postgres, tempfile.TemporaryDirectory() as folder:
            run_with(Settings(mode="distributed", data_dir=Path(folder), postgres=postgres), args.persons, args.reads)


def run_with(settings: Settings, persons: int, reads: int) -> None:
    os.environ.pop("ANGELI_VAULT_KEY", None)
    os.environ.pop("ANGELI_VAULT_KEY_FILE", None)
    run(settings, persons, reads)


if __name__ == "__main__":
    main()
