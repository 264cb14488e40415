"""The privacy vault: audited reads, consent records, subject export, and erasure that leaves no trace."""

from __future__ import annotations

import os
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.kernel.actor import SYSTEM, Access, Actor, acting
from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput
from services.kernel.identity import Identity
from services.kernel.readmodel import PostgresStore, ReadStore
from services.kernel.settings import Settings
from services.kernel.vault import PersonErased, PrivacyVault
from tests.security.conftest import GIULIA, MARCO, client_as

GIULIA_DATA = {"name": "Giulia Rossi", "phone": "+39 02 1234 5678"}
MARCO_DATA = {"name": "Marco Bianchi", "phone": "+39 06 8765 4321"}
CARLA = Actor(kind="account", id="c1", name="carla@angeli.example", role="coordinator")


def sealed_rows(store: ReadStore, person: str) -> list[str]:
    key = store.one("SELECT wrapped_key FROM vault_keys WHERE person_id = ?", (person,))
    data = store.one("SELECT sealed FROM vault_data WHERE person_id = ?", (person,))
    assert key is not None and data is not None
    return [key["wrapped_key"], data["sealed"]]


def test_every_read_records_who_when_and_why(privacy_vault: PrivacyVault, clock: FixedClock) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    with acting(Access(CARLA, "GET /donors/giulia")):
        assert privacy_vault.get(GIULIA) == GIULIA_DATA
    privacy_vault.get(GIULIA, purpose="monthly receipt job")
    trail = privacy_vault.accesses(GIULIA)
    assert {(a["actor"], a["role"], a["purpose"], a["outcome"]) for a in trail} == {
        ("account:carla@angeli.example", "coordinator", "GET /donors/giulia", "read"),
        (SYSTEM.label, "administrator", "monthly receipt job", "read")}
    assert trail[0]["at"] == clock.now().isoformat(timespec="microseconds")


def test_the_access_trail_cannot_be_edited_or_deleted(privacy_vault: PrivacyVault) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    privacy_vault.get(GIULIA)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), privacy_vault.store.transaction() as tx:
        tx.execute("UPDATE vault_access SET actor = 'nobody'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), privacy_vault.store.transaction() as tx:
        tx.execute("DELETE FROM vault_access")
    assert len(privacy_vault.accesses(GIULIA)) == 1


def test_a_coordinator_reading_a_donor_over_http_is_in_the_trail(
    app: FastAPI, identity: Identity, privacy_vault: PrivacyVault, admin_client: TestClient,
) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    carla = client_as(app, identity, "coordinator", "carla@angeli.example")
    assert carla.get(f"/sample/donors/{GIULIA}").json() == GIULIA_DATA
    trail = admin_client.get("/privacy/access-log", params={"person_id": str(GIULIA)}).json()
    assert [(a["actor"], a["purpose"]) for a in trail] == [
        ("account:carla@angeli.example", f"GET /sample/donors/{GIULIA}")]
    assert carla.get("/privacy/access-log").status_code == 403


def test_consent_records_have_purpose_source_and_a_validity_window(
    privacy_vault: PrivacyVault, clock: FixedClock,
) -> None:
    given = clock.now() - timedelta(days=30)
    privacy_vault.record_consent(GIULIA, "phone_outreach", "web form Natale 2026", given, given + timedelta(days=365))
    assert privacy_vault.has_consent(GIULIA, "phone_outreach", clock.now())
    assert not privacy_vault.has_consent(GIULIA, "phone_outreach", given + timedelta(days=366))
    assert not privacy_vault.has_consent(GIULIA, "newsletter", clock.now())
    with pytest.raises(InvalidInput, match="expires_at must be after given_at"):
        privacy_vault.record_consent(GIULIA, "newsletter", "call", given, given - timedelta(days=1))


def test_consents_over_http_refuse_bad_input(admin_client: TestClient) -> None:
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


def test_the_export_holds_everything_about_the_person(admin_client: TestClient, privacy_vault: PrivacyVault,
                                                      clock: FixedClock) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    privacy_vault.record_consent(GIULIA, "phone_outreach", "helpline call", clock.now())
    privacy_vault.get(GIULIA, purpose="pledge follow-up")
    export = admin_client.get(f"/privacy/persons/{GIULIA}/export").json()
    assert export["personal_data"] == GIULIA_DATA and export["erased"] is False
    assert [c["purpose"] for c in export["consents"]] == ["phone_outreach"]
    assert {a["purpose"] for a in export["accesses"]} >= {"pledge follow-up"}


def test_erasure_over_http_records_who_and_why_and_the_export_says_erased(
    admin_client: TestClient, privacy_vault: PrivacyVault,
) -> None:
    privacy_vault.put(GIULIA, GIULIA_DATA)
    erased = admin_client.post(f"/privacy/persons/{GIULIA}/erase", json={"reason": "request of 20 November"})
    assert erased.status_code == 200
    export = admin_client.get(f"/privacy/persons/{GIULIA}/export").json()
    assert export["personal_data"] is None
    assert export["erasure"]["erased_by"] == "account:anna@angeli.example"
    assert export["erasure"]["reason"] == "request of 20 November"
    with pytest.raises(PersonErased):
        privacy_vault.get(GIULIA)
    refused = admin_client.post(f"/privacy/persons/{GIULIA}/consents", json={
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
    assert vault.get(MARCO) == MARCO_DATA


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
        assert vault.get(MARCO) == MARCO_DATA
    finally:
        store.close()


def _file(store: ReadStore, table: str) -> str:
    row = store.one("SELECT pg_relation_filepath(?) AS path", (f"vault.{table}",))
    assert row is not None
    return str(row["path"])
