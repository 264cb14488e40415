"""CSV import: Italian spreadsheet exports, invalid rows by line, duplicates merged, bad files refused whole."""

from __future__ import annotations

import io
from unittest.mock import Mock
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.campaigns.importing import batches, inspect
from services.identity.domain import SYSTEM_ACCESS
from services.kernel.clock import FixedClock
from services.main import Product
from services.privacy.application import UNSAVED_GRACE
from tests.campaigns.conftest import SCRIPT, app_of, campaign_body, csv_file


def draft(client: TestClient, name: str = "Natale 2026") -> str:
    campaign_id: str = client.post("/campaigns", json=campaign_body(name)).json()["id"]
    return campaign_id


def contacts(product: Product) -> int:
    row = app_of(product).queue.one("SELECT COUNT(*) AS n FROM queue_contacts")
    return int(row["n"]) if row else 0


def test_semicolon_file_with_bom_imports_valid_rows_and_reports_bad_ones_by_line(
        client: TestClient, product: Product) -> None:
    rows = ("Nome;Cognome;Telefono;Comune\nGiulia;Rossi;02 1234 5678;Milano\nMarco;Bianchi;12;Roma\n"
            "Anna;Verdi;+39 06 9876 5432;Roma\nGiulia;Rossi;+39 02 12345678;\nLuca;Neri;;Torino\n")
    campaign_id = draft(client)
    report = client.post(f"/campaigns/{campaign_id}/contacts/import", files=csv_file(rows, bom=True)).json()
    assert (report["rows"], report["imported"], report["merged"], report["invalid"]) == (5, 2, 1, 2)
    assert [p["line"] for p in report["problems"]] == [3, 6]
    assert "not a valid number" in report["problems"][0]["reason"]
    assert "empty" in report["problems"][1]["reason"]
    again = client.post(f"/campaigns/{campaign_id}/contacts/import",
                        files=csv_file("phone,municipality\n+390212345678,Milano\n")).json()
    assert (again["imported"], again["merged"]) == (0, 1)
    assert contacts(product) == 2
    listed = client.get(f"/campaigns/{campaign_id}/imports").json()
    assert [i["done"] for i in listed] == [True, True]


def test_comma_file_with_foreign_numbers_and_preferred_times(client: TestClient, product: Product) -> None:
    rows = 'name,phone,preferred_times\nJohn,+1 212 555 1234,"18:00-20:00"\nMaria,333 123 4567,9-12\n'
    report = client.post(f"/campaigns/{draft(client)}/contacts/import", files=csv_file(rows)).json()
    assert report["imported"] == 1 and report["invalid"] == 1
    assert "time must look like" in report["problems"][0]["reason"]
    row = app_of(product).queue.one("SELECT calendar_key FROM queue_contacts")
    assert row is not None and row["calendar_key"] == "America/New_York||18:00-20:00"


def test_bad_files_are_refused_whole_and_store_nothing(client: TestClient, product: Product) -> None:
    campaign_id = draft(client)
    head = product.feeds["campaigns"].head()
    cases = {
        "not UTF-8": ("nome;telefono\nNiccolò;02 1234 5678\n".encode("latin-1"), "not UTF-8"),
        "no phone column": (b"nome;email\nGiulia;g@example.org\n", "no phone column"),
        "empty": (b"", "file is empty"),
        "header only": (b"telefono\n", "no rows"),
    }
    for data, expected in cases.values():
        response = client.post(f"/campaigns/{campaign_id}/contacts/import", files={"file": ("x.csv", data, "text/csv")})
        assert response.status_code == 422, response.text
        assert expected in response.json()["detail"]
    assert client.post(f"/campaigns/{campaign_id}/contacts/import").status_code == 422
    assert contacts(product) == 0
    assert product.feeds["campaigns"].head() == head


def test_bad_campaign_inputs_are_refused_with_reasons_and_store_nothing(client: TestClient, product: Product) -> None:
    head = product.feeds["campaigns"].head()
    no_notice = {**SCRIPT, "text": "Buongiorno {first_name}"}
    cases = [
        (campaign_body(script=no_notice), "privacy_notice"),
        (campaign_body(script={**SCRIPT, "text": "Ciao {nickname} {privacy_notice}"}), "unknown merge fields"),
        (campaign_body(goal="-5.00"), "goal"),
        (campaign_body(ends_on="2026-10-01"), "before starts_on"),
        (campaign_body(window={"timezone": "Mars/Olympus"}), "unknown time zone"),
        (campaign_body(window={"start": "21:00", "end": "20:00"}), "end after it starts"),
        (campaign_body(priority=["fresh", "fresh", "retry"]), "priority"),
        (campaign_body(policy="wild-west"), "unknown"),
        ({**campaign_body(), "colour": "red"}, "colour"),
    ]
    for body, expected in cases:
        response = client.post("/campaigns", json=body)
        assert response.status_code == 422, (expected, response.text)
        assert expected in response.json()["detail"]
    assert client.post("/suppression/opt-outs", json={"source": "x"}).status_code == 422
    assert client.post("/suppression/opt-outs", json={"phone": "12", "source": "x"}).status_code == 422
    assert product.feeds["campaigns"].head() == head


def test_a_large_file_streams_in_batches_with_progress() -> None:
    data = "telefono\n" + "".join(f"+39 02 {1000000 + i}\n" for i in range(2500))
    binary = io.BytesIO(data.encode())
    plan = inspect(binary)
    sizes = [b.lines_read for b in batches(binary, plan, size=1000)]
    assert plan.rows == 2500 and sizes == [1000, 1000, 500]


def test_a_script_revision_is_a_new_version(client: TestClient) -> None:
    campaign_id = draft(client)
    revised = client.post(f"/campaigns/{campaign_id}/script",
                          json={**SCRIPT, "text": "Salve {first_name}! {privacy_notice}"})
    assert revised.json()["script_version"] == 2


def test_a_person_imported_again_keeps_what_the_new_file_leaves_out_and_takes_what_it_updates(
        client: TestClient, product: Product) -> None:
    first, second = draft(client), draft(client, "Pasqua 2027")
    client.post(f"/campaigns/{first}/contacts/import",
                files=csv_file("nome;cognome;telefono;email\nGiulia;Rossi;02 1234 5678;giulia@example.org\n"))
    # the second list knows only her first name and number; a third one brings her new e-mail
    client.post(f"/campaigns/{second}/contacts/import", files=csv_file("telefono;nome\n+39 02 1234 5678;Giulia\n"))
    client.post(f"/campaigns/{second}/contacts/import",
                files=csv_file("telefono;email;cognome\n0212345678;g.rossi@example.org;\n"))

    application = app_of(product)
    held = application.vault.get(application.person_ids.of("+390212345678"), SYSTEM_ACCESS)

    assert held == {"first_name": "Giulia", "last_name": "Rossi", "phone": "+390212345678",
                    "email": "g.rossi@example.org"}


def test_people_an_interrupted_import_never_saved_lose_their_data_after_the_grace(
        client: TestClient, product: Product, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The vault notes the people new to it as unsaved until their contacts are saved. The sweep keeps whoever
    has a contact in any campaign, or a record of their own (an opt-out), and discards the rest."""
    application = app_of(product)
    first, second = draft(client), draft(client, "Pasqua 2027")
    client.post(f"/campaigns/{first}/contacts/import", files=csv_file("nome;telefono\nGiulia;02 1234 5678\n"))
    with monkeypatch.context() as stopped:
        stopped.setattr(application, "save", Mock(side_effect=KeyboardInterrupt))  # between vault and store
        with pytest.raises(KeyboardInterrupt):
            application.import_contacts(UUID(second), io.BytesIO(
                b"nome;telefono\nGiulia;02 1234 5678\nMarco;06 9876 5432\nAnna;011 555 1234\n"))
    application.opt_out(application.person_id("011 555 1234"), "telefono")  # Anna has a record of her own now
    with monkeypatch.context() as stopped:
        stopped.setattr(application.vault, "saved", Mock())  # stops after the save, before the vault hears of it
        client.post(f"/campaigns/{first}/contacts/import", files=csv_file("nome;telefono\nLuca;0331 123456\n"))
    giulia, marco, anna, luca = (application.person_id(p) for p in
                                 ("02 1234 5678", "06 9876 5432", "011 555 1234", "0331 123456"))
    noted = application.vault.store.query("SELECT person_id FROM vault_unsaved WHERE owner = 'campaigns'")
    assert {UUID(row["person_id"]) for row in noted} == {marco, anna, luca}  # Giulia was known to the vault
    (job,) = [job for job in product.services["campaigns"].jobs if job.id == "campaigns.unsaved_people"]

    clock.advance(UNSAVED_GRACE / 2)
    assert job.run() == 0  # the import may still be saving

    clock.advance(UNSAVED_GRACE)
    assert job.run() == 1
    with pytest.raises(KeyError, match="no personal data"):
        application.vault.get(marco, SYSTEM_ACCESS)
    assert [application.vault.get(p, SYSTEM_ACCESS)["first_name"]
            for p in (giulia, anna, luca)] == ["Giulia", "Anna", "Luca"]
    assert application.vault.store.query("SELECT person_id FROM vault_unsaved") == []
