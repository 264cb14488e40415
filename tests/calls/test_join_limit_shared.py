"""The public form's limit per address lives in the store: two API processes on one store (distributed mode, or a
restart) share it, so the sixth application of the hour from one address is refused wherever it arrives, with a
clear message and nothing stored."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallsApplication
from services.calls.domain.joining import APPLICATIONS_PER_ADDRESS, TooManyApplications
from services.calls.joining import APPLICANT, Applicant, submit_application
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import Product, build, create_api_for
from services.privacy.application import PrivacyVault
from tests.calls.test_joining_api import form


@pytest.fixture
def two_products(embedded_settings: Settings, clock: FixedClock) -> Iterator[tuple[Product, Product]]:
    """Two processes of one installation: the same data folder (stores and secrets), built one after the other."""
    first, second = build(embedded_settings, clock), build(embedded_settings, clock)
    yield first, second
    second.stop()
    first.stop()


def test_two_processes_on_one_store_share_the_limit_and_the_sixth_is_refused_with_nothing_stored(
    two_products: tuple[Product, Product],
) -> None:
    first, second = (TestClient(create_api_for(p), raise_server_exceptions=False) for p in two_products)
    answers = [(first if n % 2 else second).post("/applications", json=form(email=f"g{n}@example.org"))
               for n in range(APPLICATIONS_PER_ADDRESS)]
    assert [a.status_code for a in answers] == [201] * APPLICATIONS_PER_ADDRESS
    vault = two_products[0].vault
    held = len(vault.store.query("SELECT person_id FROM vault_data"))
    for client in (first, second):
        refused = client.post("/applications", json=form(email="flood@example.org"))
        assert refused.status_code == 429, refused.text
        assert "at most 5 an hour" in refused.json()["detail"] and "nothing was stored" in refused.json()["detail"]
        assert int(refused.headers["Retry-After"]) == 3600
    assert len(vault.store.query("SELECT person_id FROM vault_data")) == held


def test_a_restart_keeps_the_count(embedded_settings: Settings, clock: FixedClock) -> None:
    before = build(embedded_settings, clock)
    client = TestClient(create_api_for(before), raise_server_exceptions=False)
    for n in range(APPLICATIONS_PER_ADDRESS):
        assert client.post("/applications", json=form(email=f"g{n}@example.org")).status_code == 201
    before.stop()
    after = build(embedded_settings, clock)
    try:
        again = TestClient(create_api_for(after), raise_server_exceptions=False)
        assert again.post("/applications", json=form(email="later@example.org")).status_code == 429
    finally:
        after.stop()


def test_processes_racing_for_one_address_store_no_more_than_the_limit(tmp_path: Path, vault: PrivacyVault,
                                                                       clock: FixedClock) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "calls.events.db"),
           "SQLITE_LOCK_TIMEOUT": "10", "CREATE_TABLE": "y"}
    key = b"k" * 32
    processes = [CallsApplication(dict(env), vault=vault, clock=clock, join_key=key) for _ in range(2)]
    outcomes: list[str] = []
    start = threading.Barrier(10)

    def apply(n: int) -> None:
        start.wait()
        try:
            submit_application(processes[n % 2], Applicant("Giulia Rossi", f"g{n}@example.org", "+39 02 1234 5678"),
                               "Milano", ["helpline"], ["mon-morning"], "2026-12-v1", by=APPLICANT,
                               sender="203.0.113.9")
            outcomes.append("stored")
        except TooManyApplications:
            outcomes.append("refused")
        except Exception as error:  # a conflict retried too often: refused too, and nothing stored
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=apply, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("stored") == APPLICATIONS_PER_ADDRESS, outcomes
    assert len(vault.store.query("SELECT person_id FROM vault_data")) == APPLICATIONS_PER_ADDRESS
