"""Donor search over many donors: p50/p99 of one search by phone, e-mail, tax code and name, on the installation's
stores (the donations event store holding the index entries, the vault, the access trail storing one event per
donor shown).

The donors are loaded in bulk, 1,000 per transaction, through the same code as a registration (their details
sealed in the vault, their search entries built by `donor_index.entries` and saved with them), with Italian names
drawn from 120 first names and 250 surnames, so a first name is shared by ~800 donors and a surname by ~400, as in
a real list. Each search then looks up a donor drawn at random: by their whole phone number, e-mail or tax code
(one match), by first name and surname (a handful), and by surname alone (hundreds, of which the first 20 are
shown: 20 names read from the vault, 20 access events stored).

Run: `.venv/bin/python -m bench.donor_search [--mode embedded|distributed|both] [--donors 100000] [--searches 300]`
(distributed needs PostgreSQL from deploy/ running).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import scratch_database
from services.donations import donor_index
from services.donations.application import DonationsApplication
from services.donations.domain.donor import Donor
from services.identity.domain import Access, Actor
from services.kernel.clock import SystemClock
from services.kernel.eventstore import event_store_env
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.privacy.main import open_vault

FIRST = ("Giulia", "Maria", "Anna", "Francesca", "Sara", "Laura", "Chiara", "Valentina", "Alessandra", "Elena",
         "Martina", "Federica", "Silvia", "Paola", "Roberta", "Giovanna", "Elisa", "Claudia", "Cristina", "Barbara",
         "Simona", "Monica", "Daniela", "Alice", "Giorgia", "Beatrice", "Sofia", "Aurora", "Ginevra", "Emma",
         "Greta", "Noemi", "Camilla", "Ludovica", "Vittoria", "Rebecca", "Nicole", "Arianna", "Bianca", "Irene",
         "Marta", "Carla", "Lucia", "Teresa", "Rosa", "Angela", "Antonella", "Patrizia", "Stefania", "Raffaella",
         "Marco", "Luca", "Giuseppe", "Francesco", "Antonio", "Alessandro", "Andrea", "Matteo", "Lorenzo", "Davide",
         "Simone", "Federico", "Riccardo", "Stefano", "Paolo", "Roberto", "Giovanni", "Mario", "Luigi", "Salvatore",
         "Vincenzo", "Pietro", "Carlo", "Fabio", "Massimo", "Daniele", "Emanuele", "Giorgio", "Michele", "Nicola",
         "Alberto", "Claudio", "Enrico", "Filippo", "Tommaso", "Gabriele", "Edoardo", "Leonardo", "Mattia", "Diego",
         "Samuele", "Niccolò", "Jacopo", "Cesare", "Bruno", "Sergio", "Franco", "Renato", "Walter", "Ugo", "Dario",
         "Ettore", "Guido", "Ivan", "Marcello", "Ottavio", "Pasquale", "Raffaele", "Sandro", "Tiziano", "Umberto",
         "Valerio", "Cosimo", "Domenico", "Elio", "Fabrizio", "Gino", "Ilaria", "Lidia", "Nadia", "Ornella", "Rita")
SURNAMES = [f"{stem}{end}" for stem in ("Ross", "Bianch", "Ferrar", "Russ", "Espos", "Roman", "Colomb", "Ricc",
                                        "Marin", "Grec", "Brun", "Gall", "Conti", "De Luc", "Mancin", "Costa",
                                        "Giordan", "Rizz", "Lombard", "Morett", "Barbier", "Fontan", "Santor",
                                        "Mariott", "Rinald", "Caruson", "Ferrett", "Gallett", "Martinell",
                                        "Leon", "Longh", "Gentil", "Martin", "Vitale", "Lombardin", "Serr",
                                        "Coppol", "De Santis", "D'Angel", "Marches", "Parisi", "Villa", "Conte",
                                        "Ferrarin", "Fabbr", "Bellin", "Sorrentin", "Pellegrin", "Palumb",
                                        "Sanna")
            for end in ("i", "o", "a", "etti", "ini")]
MOBILE = ("320", "328", "333", "338", "340", "345", "346", "347", "348", "349", "366", "380", "388", "389", "392")
LOAD_BATCH = 1_000
OFFICE = Access(Actor(kind="account", id="carla", name="carla@angeli.example", role="campaign_manager"), "GET /donors")


def person(n: int, rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(SURNAMES)
    return {"name": f"{first} {last}", "phone": f"+39 {MOBILE[n % len(MOBILE)]} {n:07d}",
            "email": f"donor{n}@example.org", "tax_code": f"TXC{n:013d}"}


def load(app: DonationsApplication, donors: int, rng: random.Random) -> list[dict[str, str]]:
    people: list[dict[str, str]] = []
    now = app.clock.now()
    for start in range(0, donors, LOAD_BATCH):
        batch: dict[uuid.UUID, dict[str, str]] = {}
        objects: list[Any] = []
        for n in range(start, min(start + LOAD_BATCH, donors)):
            details = person(n, rng)
            donor = Donor("person", registered_at=now)
            batch[donor.id] = details
            objects += [donor, *donor_index.entries(app, donor.id, details, strict=True)]
            people.append(details)
        with app.vault.new_people(batch, app.name, app.existing):
            app.save(*objects)
    return people


def run(settings: Settings, donors: int, searches: int) -> None:
    vault = open_vault(settings)
    app = DonationsApplication(event_store_env(settings, "donations"), vault=vault, clock=SystemClock(),
                               search_key=secret(settings, "donor_search_key"))
    rng = random.Random(18)
    started = time.perf_counter()
    people = load(app, donors, rng)
    loaded = time.perf_counter() - started
    print(f"{settings.mode}: {donors:,} donors registered in bulk in {loaded:.0f} s ({donors / loaded:,.0f}/s, "
          f"vault and index entries included)")
    kinds: dict[str, Callable[[dict[str, str]], tuple[str, str]]] = {
        "phone": lambda p: ("phone", p["phone"].replace(" ", "")),
        "email": lambda p: ("email", p["email"].upper()),
        "tax_code": lambda p: ("tax_code", p["tax_code"].lower()),
        "first name + surname": lambda p: ("name", p["name"]),
        "surname alone": lambda p: ("name", p["name"].split(" ", 1)[1]),
    }
    for label, query in kinds.items():
        times, shown, total = [], 0, 0
        for _ in range(searches):
            by, q = query(rng.choice(people))
            started = time.perf_counter()
            result = donor_index.search(app, by, q, OFFICE)
            times.append((time.perf_counter() - started) * 1000)
            shown += len(result.donors)
            total += result.total
        times.sort()
        p99 = times[min(len(times) - 1, round(len(times) * 0.99))]
        print(f"  by {label:<22} p50 {statistics.median(times):7.1f} ms  p99 {p99:7.1f} ms  "
              f"(matches {total / searches:,.1f} on average, {shown / searches:.1f} shown and read)")
    vault.store.close()
    vault.trail.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("embedded", "distributed", "both"), default="embedded")
    parser.add_argument("--donors", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    for name in ("VAULT_KEY", "DONOR_SEARCH_KEY"):  # keys of this run's own, made under its folder
        os.environ.pop(f"ANGELI_{name}", None)
        os.environ.pop(f"ANGELI_{name}_FILE", None)
    if args.mode in ("embedded", "both"):
        with tempfile.TemporaryDirectory() as folder:
            run(Settings(mode="embedded", data_dir=Path(folder)), args.donors, args.searches)
    if args.mode in ("distributed", "both"):
        with scratch_database("angeli_bench_donors") as postgres, tempfile.TemporaryDirectory() as folder:
            run(Settings(mode="distributed", data_dir=Path(folder), postgres=postgres), args.donors, args.searches)


if __name__ == "__main__":
    main()
