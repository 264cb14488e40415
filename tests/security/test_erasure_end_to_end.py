"""Erasing a donor on the whole product: nothing of them left in any database file, the ledger still verifies."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services import cli
from services.main import Product


def every_database_byte(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file() and ".db" in p.name)


def test_an_erased_donor_is_unrecoverable_from_the_files_while_the_ledger_verifies(
    client: TestClient, product: Product, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    fund = client.post("/funds", json={"name": "Natale 2026"}).json()["id"]
    donor = client.post("/donors", json={"kind": "person", "name": "Giulia Rossi",
                                         "phone": "+39 02 1234 5678", "email": "giulia@example.org"}).json()["id"]
    pledge = client.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "50.00"}).json()["id"]
    paid = client.post(f"/pledges/{pledge}/payments", json={"amount": "50.00", "method": "bank_transfer",
                                                            "reference": "CRO 0001"})
    assert paid.status_code in (200, 201), paid.text
    product.catch_up()
    vault = product.vault.store
    traces = [vault.one(f"SELECT {column} AS v FROM {table} WHERE person_id = ?", (donor,))["v"].encode()  # type: ignore[index]
              for table, column in (("vault_keys", "wrapped_key"), ("vault_data", "sealed"))]
    assert all(t in every_database_byte(product.settings.data_dir) for t in traces)

    erased = client.post(f"/privacy/persons/{donor}/erase", json={"reason": "Giulia asked on 20 November",
                                                                   "confirmation": donor})
    assert erased.status_code == 200
    product.catch_up()

    files = every_database_byte(product.settings.data_dir)
    assert not any(t in files for t in traces)
    assert b"Giulia Rossi" not in files and b"1234 5678" not in files and b"giulia@example.org" not in files
    assert client.get(f"/donors/{donor}").json()["erased"] is True
    assert product.vault.is_erased(UUID(donor))
    # The access trail outlives the erasure: it names the person's id, never what was shown.
    product.catch_up()
    trail = client.get("/privacy/access-log", params={"person_id": donor}).json()
    assert {a["outcome"] for a in trail} == {"read", "erased"}
    assert {f for a in trail for f in a["fields"]} == {"name"}  # the donor's answers showed the name alone
    events = b"".join(f.read_bytes() for f in product.settings.data_dir.glob("privacy.events.db*"))
    assert donor.encode() in events or UUID(donor).hex.encode() in events
    report = client.get("/ledger/verify").json()
    assert report["ok"] and report["differences"] == []
    monkeypatch.setenv("ANGELI_DATA_DIR", str(product.settings.data_dir))
    assert cli.main(["ledger", "verify"]) == 0
    assert capsys.readouterr().out.startswith("OK")
