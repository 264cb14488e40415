"""The privacy vault: every read an audit event naming the fields shown, consent records, subject export, and
erasure that leaves no trace."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Recording
from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM, SYSTEM_ACCESS, Access, Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput
from services.kernel.feed import EventFeed
from services.kernel.readmodel import PostgresStore, ReadStore, SqliteStore
from services.kernel.settings import Settings
from services.main import Product
from services.privacy.application import PrivacyVault
from services.privacy.domain import PersonErased
from services.privacy.trail import RECORDED, SOURCE, AccessTrail, Store, Write
from tests.campaigns.conftest import clock_in, launched
from tests.conftest import RoleClient
from tests.security.conftest import GIULIA, MARCO

GIULIA_DATA = {"name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
               "tax_code": "RSSGLI80A41F205X"}
MARCO_DATA = {"name": "Marco Bianchi", "phone": "+39 06 8765 4321"}
CARLA = Actor(kind="account", id="c1", name="carla@angeli.example", role="coordinator")


def sealed_rows(store: ReadStore, person: str) -> list[str]:
    key = store.one("SELECT wrapped_key FROM vault_keys WHERE person_id = ?", (person,))
    data = store.one("SELECT sealed FROM vault_data WHERE person_id = ?", (person,))
    assert key is not None and data is not None
    return [key["wrapped_key"], data["sealed"]]


def trail(vault: PrivacyVault) -> list[dict[str, Any]]:
    """The access events, oldest first, as the feed delivers them."""
    messages = list(EventFeed(SOURCE, vault.trail).messages())
    assert {m.type for m in messages} <= {RECORDED}
    return [m.data for m in messages]


def test_every_read_is_an_event_naming_who_why_when_and_the_fields_shown(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    assert privacy_vault.get(GIULIA, Access(CARLA, "GET /donors/giulia"), fields=("name", "phone")) == {
        "name": "Giulia Rossi", "phone": "+39 02 1234 5678"}
    assert privacy_vault.get(GIULIA, Access(SYSTEM, "monthly receipt job")) == GIULIA_DATA
    first, second = trail(privacy_vault)
    assert first == {"person_id": str(GIULIA), "actor": "account:carla@angeli.example", "role": "coordinator",
                     "purpose": "GET /donors/giulia", "outcome": "read", "fields": ["name", "phone"],
                     "at": clock.now().isoformat()}
    assert (second["actor"], second["role"], second["purpose"]) == (SYSTEM.label, "administrator",
                                                                   "monthly receipt job")
    assert second["fields"] == ["email", "name", "phone", "tax_code"]


def test_the_access_events_hold_field_names_never_personal_values(privacy_vault: PrivacyVault) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    privacy_vault.get(GIULIA, SYSTEM_ACCESS)
    messages = b"".join(m.to_json() for m in EventFeed(SOURCE, privacy_vault.trail).messages())
    assert b"tax_code" in messages
    assert not any(value.encode() in messages for value in GIULIA_DATA.values())


def test_asking_for_a_field_the_person_has_not_reveals_and_records_only_what_exists(
    privacy_vault: PrivacyVault,
) -> None:
    privacy_vault.put(MARCO, MARCO_DATA)
    assert privacy_vault.get(MARCO, SYSTEM_ACCESS, fields=("phone", "email")) == {"phone": "+39 06 8765 4321"}
    assert trail(privacy_vault)[-1]["fields"] == ["phone"]


def test_reads_of_an_erased_or_unknown_person_are_recorded_with_no_fields(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    privacy_vault.erase(GIULIA, clock.now(), "account:anna@angeli.example", "erasure request")
    with pytest.raises(PersonErased):
        privacy_vault.get(GIULIA, SYSTEM_ACCESS)
    with pytest.raises(KeyError):
        privacy_vault.get(MARCO, SYSTEM_ACCESS)
    assert [(a["person_id"], a["outcome"], a["fields"]) for a in trail(privacy_vault)] == [
        (str(GIULIA), "erased", []), (str(MARCO), "absent", [])]


def test_when_the_access_cannot_be_recorded_the_data_is_not_returned(tmp_path: Path, clock: FixedClock) -> None:
    def event_store_down(_processing: object, _store: object) -> list[Recording[UUID]]:
        raise OSError("disk I/O error")

    trail_ = AccessTrail({"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock, write=event_store_down)
    privacy_vault = PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), os.urandom(32), clock, trail_)
    privacy_vault.put(GIULIA, GIULIA_DATA)
    with pytest.raises(OSError, match="disk I/O error"):
        privacy_vault.get(GIULIA, SYSTEM_ACCESS)


def test_concurrent_reads_of_one_person_each_record_their_own_access_without_conflicts(
    tmp_path: Path, clock: FixedClock,
) -> None:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "privacy.events.db"),
           "SQLITE_LOCK_TIMEOUT": "10", "CREATE_TABLE": "y"}
    vault = PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), os.urandom(32), clock, AccessTrail(env, clock))
    vault.put(GIULIA, GIULIA_DATA)
    failures: list[BaseException] = []

    def volunteer(n: int) -> None:
        actor = Actor(kind="account", id=f"v{n}", name=f"volunteer{n}@angeli.example", role="volunteer")
        try:
            for _ in range(15):
                vault.get(GIULIA, Access(actor, "POST /campaigns/natale-2026/dialer/next"), fields=("name", "phone"))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=volunteer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    accesses = trail(vault)
    assert len(accesses) == 90 and len({a["actor"] for a in accesses}) == 6
    vault.trail.close()


def test_the_access_log_answers_by_person_newest_first_with_the_fields(
    client: TestClient, product: Product, clock: FixedClock, client_as: RoleClient,
) -> None:
    giulia = client.post("/donors", json={"kind": "person", "name": "Giulia Rossi", "phone": "+39 02 1234 5678",
                                          "email": "giulia@example.org"}).json()["id"]
    coordinator = client_as("coordinator")
    clock.advance(timedelta(minutes=1))
    assert coordinator.get(f"/donors/{giulia}").status_code == 200
    clock.advance(timedelta(minutes=5))
    product.vault.get(UUID(giulia), Access(SYSTEM, "pledge follow-up"), fields=("phone",))
    product.catch_up()
    log = client.get("/privacy/access-log", params={"person_id": giulia}).json()
    assert [(a["role"], a["purpose"], a["fields"]) for a in log] == [
        ("administrator", "pledge follow-up", ["phone"]),
        ("coordinator", f"GET /donors/{giulia}", ["name"]),
        ("administrator", "POST /donors", ["name"])]  # the answer showed the new donor's name, and only that
    assert log[0]["at"] > log[1]["at"] > log[2]["at"] and log[1]["actor"].startswith("api_key:")
    assert client.get("/privacy/access-log", params={"limit": 1}).json() == log[:1]
    assert coordinator.get("/privacy/access-log").status_code == 403
    assert client.get("/privacy/access-log", params={"limit": 0}).status_code == 422
    assert client.get("/privacy/access-log", params={"person_id": "giulia"}).status_code == 422


def test_a_volunteer_offered_a_contact_is_recorded_seeing_name_and_phone_never_the_email(
    client: TestClient, product: Product, clock: FixedClock, client_as: RoleClient,
) -> None:
    campaign_id = launched(client, rows="nome;cognome;telefono;email\nGiulia;Rossi;02 1234 5678;giulia@example.org\n")
    volunteer = uuid4()
    clock_in(product, volunteer, clock.now())
    as_volunteer = client_as("volunteer", volunteer)
    headers = {"Idempotency-Key": "lease-natale-2026-1"}
    url = f"/campaigns/{campaign_id}/dialer/next"
    offer = as_volunteer.post(url, json={"volunteer_id": str(volunteer)}, headers=headers).json()["offer"]
    assert offer["first_name"] == "Giulia" and "email" not in offer
    product.catch_up()
    log = client.get("/privacy/access-log", params={"person_id": offer["person_id"]}).json()
    assert [(a["role"], a["purpose"], a["outcome"], a["fields"]) for a in log] == [
        ("volunteer", f"POST {url}", "read", ["first_name", "last_name", "phone"])]
    # The read happened inside an idempotent POST: the request's record stays with the campaigns service.
    retried = as_volunteer.post(url, json={"volunteer_id": str(volunteer)}, headers=headers)
    assert retried.json()["offer"]["contact_id"] == offer["contact_id"]
    privacy = product.services["privacy"].application.recorder
    assert not any(n.topic.startswith("services.kernel.idempotency")
                   for n in privacy.select_notifications(start=1, limit=100))


def test_consent_records_have_purpose_source_and_a_validity_window(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    given = clock.now() - timedelta(days=30)
    privacy_vault.put(GIULIA, GIULIA_DATA)
    privacy_vault.record_consent(GIULIA, "phone_outreach", "web form Natale 2026", given, given + timedelta(days=365),
                                 by=SYSTEM)
    assert privacy_vault.has_consent(GIULIA, "phone_outreach", clock.now())
    assert not privacy_vault.has_consent(GIULIA, "phone_outreach", given + timedelta(days=366))
    assert not privacy_vault.has_consent(GIULIA, "newsletter", clock.now())
    with pytest.raises(InvalidInput, match="expires_at must be after given_at"):
        privacy_vault.record_consent(GIULIA, "newsletter", "call", given, given - timedelta(days=1), by=SYSTEM)


def test_consents_over_http_refuse_bad_input(admin_client: TestClient, privacy_vault: PrivacyVault) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    url = f"/privacy/persons/{GIULIA}/consents"
    ok = admin_client.post(url, json={"purpose": "phone_outreach", "source": "helpline call",
                                      "given_at": "2026-11-20T10:00:00+01:00"})
    assert ok.status_code == 201 and ok.json()["recorded_by"] == "account:anna@angeli.example"
    naive = admin_client.post(url, json={"purpose": "phone_outreach", "source": "x", "given_at": "2026-11-20T10:00"})
    assert naive.status_code == 422
    extra = admin_client.post(url, json={"purpose": "newsletter", "source": "x",
                                         "given_at": "2026-11-20T10:00:00Z", "forever": True})
    assert extra.status_code == 422
    assert len(admin_client.get(url).json()) == 1


def test_the_export_holds_everything_about_the_person_including_who_read_what(
    client: TestClient, product: Product, clock: FixedClock,
) -> None:
    product.vault.put(GIULIA, GIULIA_DATA)
    product.vault.record_consent(GIULIA, "phone_outreach", "helpline call", clock.now(), by=SYSTEM)
    product.vault.get(GIULIA, Access(SYSTEM, "pledge follow-up"), fields=("phone",))
    product.catch_up()
    clock.advance(timedelta(minutes=1))
    export = client.get(f"/privacy/persons/{GIULIA}/export").json()
    assert export["personal_data"] == GIULIA_DATA and export["erased"] is False
    assert [c["purpose"] for c in export["consents"]] == ["phone_outreach"]
    assert [(a["purpose"], a["fields"]) for a in export["accesses"]] == [("pledge follow-up", ["phone"])]
    product.catch_up()  # the export's own read is in the trail too
    purposes = [a["purpose"] for a in client.get("/privacy/access-log", params={"person_id": str(GIULIA)}).json()]
    assert purposes == ["subject access export", "pledge follow-up"]


def test_erasure_over_http_records_who_and_why_and_the_export_says_erased(
    client: TestClient, product: Product,
) -> None:
    product.vault.put(GIULIA, GIULIA_DATA)
    erased = client.post(f"/privacy/persons/{GIULIA}/erase", json={"reason": "request of 20 November",
                                                                    "confirmation": str(GIULIA)})
    assert erased.status_code == 200
    export = client.get(f"/privacy/persons/{GIULIA}/export").json()
    assert export["personal_data"] is None
    assert export["erasure"]["erased_by"].startswith("api_key:")
    assert export["erasure"]["reason"] == "request of 20 November"
    with pytest.raises(PersonErased):
        product.vault.get(GIULIA, SYSTEM_ACCESS)
    refused = client.post(f"/privacy/persons/{GIULIA}/consents", json={
        "purpose": "newsletter", "source": "x", "given_at": "2026-11-20T10:00:00Z"})
    assert refused.status_code == 410


def test_after_erasure_the_sqlite_files_hold_no_byte_of_the_key_or_the_data(tmp_path: Path, clock: FixedClock) -> None:
    from services.kernel.readmodel import SqliteStore

    vault = PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), os.urandom(32), clock)
    vault.put(GIULIA, GIULIA_DATA)
    vault.put(MARCO, MARCO_DATA)
    traces = [t.encode() for t in sealed_rows(vault.store, str(GIULIA))]

    def raw() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.glob("vault.db*"))

    assert all(t in raw() for t in traces)  # the search does find them while they exist
    vault.erase(GIULIA, clock.now(), "account:anna@angeli.example", "erasure request")
    assert not any(t in raw() for t in traces)
    assert vault.get(MARCO, SYSTEM_ACCESS) == MARCO_DATA


@pytest.mark.postgres
def test_after_erasure_postgresql_rewrote_the_tables_and_no_file_holds_the_key(
    pg_settings: Settings, clock: FixedClock,
) -> None:
    store = PostgresStore(pg_settings.postgres.conninfo(), schema="vault")
    try:
        vault = PrivacyVault(store, os.urandom(32), clock)
        vault.put(GIULIA, GIULIA_DATA)
        vault.put(MARCO, MARCO_DATA)
        traces = [t.encode() for t in sealed_rows(store, str(GIULIA))]
        before = {t: _file(store, t) for t in ("vault_keys", "vault_data")}
        vault.erase(GIULIA, clock.now(), "account:anna@angeli.example", "erasure request")
        after = {t: _file(store, t) for t in ("vault_keys", "vault_data")}
        data_dir = Path(os.environ.get("ANGELI_PG_DATA", f"/var/tmp/angeli-postgres-{pg_settings.postgres.port}"))
        for table in before:
            assert after[table] != before[table], f"{table} was not rewritten"
            old = data_dir / before[table]
            assert not old.exists() or old.stat().st_size == 0, f"{table}'s old file still holds rows"
        database = (data_dir / after["vault_keys"]).parent
        held = [p for p in database.iterdir() if p.is_file() and any(t in p.read_bytes() for t in traces)]
        assert held == []
        assert vault.get(MARCO, SYSTEM_ACCESS) == MARCO_DATA
    finally:
        store.close()


def _file(store: ReadStore, table: str) -> str:
    row = store.one("SELECT pg_relation_filepath(?) AS path", (f"vault.{table}",))
    assert row is not None
    return str(row["path"])


def test_reads_arriving_during_a_write_are_stored_together_and_each_returns_after_its_own_event(
    tmp_path: Path, clock: FixedClock,
) -> None:
    writes: list[int] = []

    def slow_write(processing: Any, store: Store) -> list[Recording[UUID]]:
        writes.append(len(processing.events))
        threading.Event().wait(0.05)  # a slow disk: forty volunteers ask meanwhile
        return store(processing)

    vault, trail_ = giulia_in_a_file_vault(tmp_path, clock, slow_write)
    start, returned = threading.Barrier(40), []

    def volunteer(n: int) -> None:
        actor = Actor(kind="account", id=f"v{n}", name=f"volunteer{n}@angeli.example", role="volunteer")
        start.wait()
        vault.get(GIULIA, Access(actor, "POST /campaigns/natale-2026/dialer/next"), fields=("name", "phone"))
        # by the time a read returns, its own event is in the store
        returned.append(any(a["actor"] == actor.label for a in stored_accesses(trail_)))

    threads = [threading.Thread(target=volunteer, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert returned == [True] * 40
    assert sum(writes) == 40 and len(writes) < 20  # fewer transactions than reads
    trail_.close()


def test_a_failed_group_write_fails_every_read_in_it_and_shows_no_data(tmp_path: Path, clock: FixedClock) -> None:
    gate, disk_broken = threading.Event(), threading.Event()
    disk_broken.set()

    def failing_write(processing: Any, store: Store) -> list[Recording[UUID]]:
        if not disk_broken.is_set():
            return store(processing)
        gate.wait(5)
        raise OSError("disk I/O error")

    vault, trail_ = giulia_in_a_file_vault(tmp_path, clock, failing_write)
    outcomes: list[object] = []

    def read() -> None:
        try:
            outcomes.append(vault.get(GIULIA, SYSTEM_ACCESS))
        except OSError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=read) for _ in range(10)]
    for thread in threads:
        thread.start()
    threading.Event().wait(0.2)
    gate.set()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 10 and all(isinstance(o, OSError) for o in outcomes)
    disk_broken.clear()  # the trail writes again afterwards
    assert vault.get(GIULIA, SYSTEM_ACCESS, fields=("name",)) == {"name": "Giulia Rossi"}
    trail_.close()


def giulia_in_a_file_vault(tmp_path: Path, clock: FixedClock,
                           write: Write | None = None) -> tuple[PrivacyVault, AccessTrail]:
    """Giulia in a vault whose trail is an SQLite file, written through `write` (a slow or broken disk)."""
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "privacy.events.db"),
           "SQLITE_LOCK_TIMEOUT": "10", "CREATE_TABLE": "y"}
    trail_ = AccessTrail(env, clock, write)
    vault = PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), os.urandom(32), clock, trail_)
    vault.put(GIULIA, GIULIA_DATA)
    return vault, trail_


def stored_accesses(trail_: AccessTrail) -> list[dict[str, Any]]:
    feed = EventFeed(SOURCE, trail_)
    return [m.data for m in feed.messages() if m.type == RECORDED]
