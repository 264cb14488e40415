"""Concurrency on the real PostgreSQL: 50 volunteers at once, from two OS processes, never one contact twice."""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.campaigns import main as campaigns
from services.campaigns.application import CampaignsApplication
from services.campaigns.dialer import queue
from services.campaigns.domain.contact import Contact
from services.identity.domain import SYSTEM_ACCESS
from services.kernel.clock import FixedClock
from services.kernel.readmodel import open_store
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.privacy.application import PrivacyVault
from tests.campaigns.conftest import SCRIPT

MONDAY_10_ROME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROUNDS = int(os.environ.get("ANGELI_TEST_ROUNDS", "100"))
PER_PROCESS = 25


def campaigns_app(settings: Settings) -> CampaignsApplication:
    clock = FixedClock(MONDAY_10_ROME)
    vault = PrivacyVault(open_store(settings, "vault"), secret(settings, "vault_key"), clock=clock)
    application = campaigns.build(settings, clock, vault).application
    assert isinstance(application, CampaignsApplication)
    return application


def worker(settings: Settings, campaign_ids: list[str], rounds: int, start: Any, results: Any) -> None:
    """One API process: in each round, 25 threads ask for the next contact at the same moment, in turn for each
    of the campaigns; an ask that fails is reported as "error: …"."""
    application = campaigns_app(settings)
    taken: list[list[str]] = []
    for _ in range(rounds):
        volunteers = [uuid4() for _ in range(PER_PROCESS)]
        for volunteer in volunteers:
            queue.set_presence(application.queue, str(volunteer), True, MONDAY_10_ROME.isoformat())
        together = threading.Barrier(PER_PROCESS)
        got: list[str] = []

        def ask(n: int, volunteer: UUID, together: threading.Barrier = together, got: list[str] = got) -> None:
            together.wait()
            try:
                offer = application.next_contact(UUID(campaign_ids[n % len(campaign_ids)]), volunteer, SYSTEM_ACCESS)
            except Exception as error:
                got.append(f"error: {error!r}")
                return
            got.append(str(offer.contact_id) if offer else "none")

        threads = [threading.Thread(target=ask, args=(n, v)) for n, v in enumerate(volunteers)]
        start.wait()  # both processes start the round at the same moment
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        taken.append(got)
    results.put(taken)
    application.close()


def in_two_processes(settings: Settings, campaign_ids: list[str], rounds: int) -> list[list[list[str]]]:
    """Each of two API processes' rounds of answers (`worker`), both started together."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    processes = [context.Process(target=worker, args=(settings, campaign_ids, rounds, start, results))
                 for _ in range(2)]
    for process in processes:
        process.start()
    taken = [results.get(timeout=280) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    return taken


@pytest.mark.postgres
@pytest.mark.slow
def test_fifty_volunteers_in_two_processes_never_get_the_same_contact(pg_settings: Settings) -> None:
    application = campaigns_app(pg_settings)
    campaign_id = application.create_campaign(
        "Natale 2026", uuid4(), Decimal("10000.00"), date(2026, 11, 1), date(2026, 12, 31),
        {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
        ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], (SCRIPT["text"], SCRIPT["privacy_notice"]), 5)
    application.import_register(io.BytesIO(b"phone\n"), date(2026, 11, 22))
    rows = "telefono\n" + "".join(f"+39 02 {2000000 + i}\n" for i in range(ROUNDS * PER_PROCESS * 2))
    report = application.import_contacts(campaign_id, io.BytesIO(rows.encode()))
    assert report.imported == ROUNDS * PER_PROCESS * 2
    application.launch(campaign_id)
    application.close()

    taken = in_two_processes(pg_settings, [str(campaign_id)], ROUNDS)
    for round_ in range(ROUNDS):
        offered = taken[0][round_] + taken[1][round_]
        assert [c for c in offered if c.startswith("error")] == []
        assert "none" not in offered
        assert len(set(offered)) == 2 * PER_PROCESS, f"round {round_}: a contact was offered twice"
    everything = [c for process in taken for round_ in process for c in round_]
    assert len(set(everything)) == len(everything) == ROUNDS * PER_PROCESS * 2


@pytest.mark.postgres
@pytest.mark.slow
def test_two_campaigns_calling_the_same_people_from_two_processes_never_offer_one_person_twice(
        pg_settings: Settings) -> None:
    # Given two running campaigns over the same numbers (each person a contact in both)
    rounds = max(1, ROUNDS // 5)
    application = campaigns_app(pg_settings)
    application.import_register(io.BytesIO(b"phone\n"), date(2026, 11, 22))
    numbers = "telefono\n" + "".join(f"+39 02 {3000000 + i}\n" for i in range(rounds * PER_PROCESS * 4))
    campaign_ids = []
    for name in ("Natale 2026", "Lasciti 2026"):
        campaign_id = application.create_campaign(
            name, uuid4(), Decimal("10000.00"), date(2026, 11, 1), date(2026, 12, 31),
            {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
            ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], (SCRIPT["text"], SCRIPT["privacy_notice"]),
            5)
        assert application.import_contacts(campaign_id, io.BytesIO(numbers.encode())).imported == rounds * 100
        application.launch(campaign_id)
        campaign_ids.append(str(campaign_id))

    # When 50 volunteers, in two processes, half for each campaign, ask at the same moment, round after round
    taken = in_two_processes(pg_settings, campaign_ids, rounds)

    # Then every volunteer got someone, and no person was offered twice: a lease in one campaign holds the person
    # in the other
    offered = [c for process in taken for round_ in process for c in round_]
    assert [c for c in offered if c.startswith("error")] == []
    assert "none" not in offered
    people = [application.get(UUID(c), Contact).person_id for c in offered]
    assert len(people) == rounds * 2 * PER_PROCESS
    assert len(set(people)) == len(people), "one person was offered to two volunteers at once"
    application.close()
