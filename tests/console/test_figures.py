"""Figures in the reader's language: the public transparency page and the hours export, in Italian and English."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.calls.application import CallsApplication
from services.console.figures import for_language
from services.kernel.clock import FixedClock
from services.main import Product
from tests.calls.conftest import register, rome


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def natale(client: TestClient, product: Product) -> None:
    """Fondo Natale raised 142,000.00 EUR in November and spent 1,250.50 on the night of 22-23 November (Rome)."""
    fund = post(client, "/funds", {"name": "Fondo Natale"})["id"]
    donor = post(client, "/donors", {"kind": "company", "name": "Fondazione Cariplo"})["id"]
    pledge = post(client, "/pledges", {"donor_id": donor, "fund_id": fund, "amount": "142000.00"})["id"]
    post(client, f"/pledges/{pledge}/payments", {"amount": "142000.00", "method": "bank_transfer",
                                                 "reference": "CRO 142", "received_at": "2026-11-20T10:00:00+01:00"})
    post(client, f"/funds/{fund}/disbursements", {
        "amount": "1250.50", "purpose": "Pacchi di Natale", "document": "fattura 7",
        "disbursed_at": "2026-11-22T23:30:00+00:00"})  # already 23 November in Milan
    product.catch_up()


def text_of(html: str) -> str:
    return html.replace("\xa0", " ").replace("&nbsp;", " ")


@pytest.mark.usefixtures("natale")
def test_the_public_page_in_italian_writes_euro_as_italians_read_them(client: TestClient) -> None:
    page = text_of(client.get("/?lang=it").text)

    assert "142.000,00 €" in page
    assert "1.250,50 €" in page and "140.749,50 €" in page
    assert "23/11/2026" in page, "the disbursement's day in Milan, not in UTC"
    assert "novembre 2026" in page
    assert "142000.00" not in page and "€ 142" not in page


@pytest.mark.usefixtures("natale")
def test_the_public_page_in_english_writes_euro_as_english_readers_expect(client: TestClient) -> None:
    page = text_of(client.get("/?lang=en").text)

    assert "€142,000.00" in page
    assert "€1,250.50" in page and "€140,749.50" in page
    assert "23/11/2026" in page and "22/11/2026" not in page
    assert "November 2026" in page
    assert "142000.00" not in page


def test_the_page_tells_its_scripts_which_locale_to_format_in(client: TestClient) -> None:
    assert 'data-locale="it-IT"' in client.get("/console/hours?lang=it").text
    assert 'data-locale="en-GB"' in client.get("/console/hours?lang=en").text


def test_figures_follow_cldr_for_each_language() -> None:
    italian, english = for_language("it"), for_language("en")

    assert text_of(italian.money("142000.00")) == "142.000,00 €"
    assert english.money("142000.00") == "€142,000.00"
    assert italian.day("2026-12-02") == english.day("2026-12-02") == "02/12/2026"
    assert italian.number(1234.5, decimals=1) == "1.234,5" and english.number(1234.5, decimals=1) == "1,234.5"
    assert italian.plain_number(1234.5) == "1234,5" and english.plain_number(1234.5) == "1234.5"


@pytest.fixture
def niccolo_worked_four_and_a_half_hours(product: Product, clock: FixedClock) -> None:
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication)
    niccolo = register(calls, "Niccolò Bianchi")
    clock.set(rome("2026-11-24 10:00").astimezone(UTC))
    calls.clock_in(niccolo)
    clock.set(rome("2026-11-24 14:30").astimezone(UTC))
    calls.clock_out(niccolo)
    product.catch_up()


def read_csv(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


@pytest.mark.usefixtures("niccolo_worked_four_and_a_half_hours")
def test_the_hours_csv_for_programs_keeps_plain_numbers(client: TestClient) -> None:
    response = client.get("/console/api/hours.csv", params={"period": "week"})

    rows = read_csv(response.text, ",")
    assert rows[0] == ["volunteer_id", "name", "week", "shift_hours", "talk_hours", "calls", "training_hours"]
    assert rows[-1][1:4] == ["Niccolò Bianchi", "2026-W48", "4.5"]
    assert not response.text.startswith("\ufeff")


@pytest.mark.usefixtures("niccolo_worked_four_and_a_half_hours")
def test_the_hours_csv_for_an_italian_spreadsheet_uses_decimal_commas_and_semicolons(client: TestClient) -> None:
    response = client.get("/console/api/hours.csv", params={"period": "week", "lang": "it"})

    assert response.text.startswith("\ufeff"), "a byte-order mark, so the spreadsheet reads Niccolò right"
    rows = read_csv(response.text.removeprefix("\ufeff"), ";")
    assert rows[0][1:4] == ["Nome", "Settimana", "Ore di turno"]
    assert rows[1][0] == "Centro" and rows[1][3] == "4,5"
    assert rows[-1][1:4] == ["Niccolò Bianchi", "2026-W48", "4,5"]
    assert 'filename="angeli-hours-week-it.csv"' in response.headers["content-disposition"]


@pytest.mark.usefixtures("niccolo_worked_four_and_a_half_hours")
def test_the_hours_csv_for_an_english_spreadsheet_has_english_headings(client: TestClient) -> None:
    rows = read_csv(client.get("/console/api/hours.csv", params={"period": "month", "lang": "en"}).text
                    .removeprefix("\ufeff"), ",")

    assert rows[0][1:4] == ["Name", "Month", "Shift hours"]
    assert rows[-1][1:4] == ["Niccolò Bianchi", "2026-11", "4.5"]


def test_the_hours_page_exports_in_the_readers_language(client: TestClient) -> None:
    assert "/console/api/hours.csv?period=week&amp;lang=it" in client.get("/console/hours?lang=it").text
