"""The funds desk's data: every fund's raised / reversed / disbursed / balance from the sealed ledger, one fund
month by month with its disbursements and their documents, both also as server-sent events (a payment reaches an
open stream); bad disbursements refused with a clear reason and nothing stored; who reads and who acts."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product, create_api_for
from tests.conftest import RoleClient, api_key, free_port
from tests.console.test_accessibility import Controls
from tests.donations.conftest import Api

NOWHERE = "5b0c1f0e-0000-4000-8000-000000000000"


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def natale(api: Api) -> tuple[str, str, str]:
    """Fondo Natale: Giulia paid 100.00 by card, 20.00 of it was charged back; 30.00 spent on food parcels.
    Returns the fund, the pledge and the payment."""
    fund = api.fund("Fondo Natale")
    pledge = api.pledge(api.donor(), fund, "100.00")
    payment = api.pay(pledge, "100.00", "ch_natale_1")
    api.post(f"/pledges/{pledge}/payments/{payment}/reversals", {"amount": "20.00", "reason": "chargeback"})
    api.post(f"/funds/{fund}/disbursements", {"amount": "30.00", "purpose": "Pacchi alimentari",
                                              "document": "Fattura 2026/117"})
    return fund, pledge, payment


def test_the_list_shows_each_funds_raised_reversed_disbursed_and_balance(api: Api, product: Product) -> None:
    # Given Fondo Natale with its movements and an empty Fondo Scuola
    fund, _, _ = natale(api)
    scuola = api.fund("Fondo Scuola")
    product.catch_up()
    # When the desk reads the list
    listed = api.get("/console/api/funds")
    # Then each fund has its four figures, the empty one zeros
    by_name = {f["name"]: f for f in listed["funds"]}
    assert by_name["Fondo Natale"] == {
        "fund_id": fund, "name": "Fondo Natale", "closed": False, "raised": "100.00", "reversed": "20.00",
        "disbursed": "30.00", "balance": "50.00", "in_kind": "0.00"}
    assert by_name["Fondo Scuola"]["fund_id"] == scuola and by_name["Fondo Scuola"]["balance"] == "0.00"
    assert listed["position"]


def test_a_funds_page_has_its_months_and_its_disbursements_with_the_document(api: Api, product: Product) -> None:
    fund, _, _ = natale(api)
    product.catch_up()
    page = api.get(f"/console/api/funds/{fund}")
    assert (page["name"], page["raised"], page["reversed"], page["disbursed"], page["balance"]) == (
        "Fondo Natale", "100.00", "20.00", "30.00", "50.00")
    assert page["months"] == [{"month": "2026-11", "raised": "100.00", "reversed": "20.00", "disbursed": "30.00",
                               "in_kind": "0.00", "balance": "50.00", "donors": 1}]
    [spent] = page["disbursements"]
    assert (spent["date"], spent["amount"], spent["purpose"], spent["document"]) == (
        "2026-11-23", "30.00", "Pacchi alimentari", "Fattura 2026/117")
    assert spent["sequence"] == 3  # payment, reversal, disbursement: its entry in the signed ledger
    assert page["today"] == "2026-11-23"
    assert api.get(f"/console/api/funds/{NOWHERE}", 404)["detail"].startswith(f"fund {NOWHERE} not found")


@pytest.mark.parametrize(("body", "status", "says"), [
    ({"amount": "10.005"}, 422, "at most 2 decimals"),
    ({"amount": "-5.00"}, 422, "must be positive"),
    ({"amount": "0"}, 422, "must be positive"),
    ({"amount": "dieci"}, 422, "amount"),
    ({"amount": "50.01"}, 409, "would leave fund Fondo Natale at -0.01 EUR"),
    ({"purpose": ""}, 422, "purpose"),
    ({"purpose": "   "}, 422, "purpose must be 1 to 500 characters, got 0"),
    ({"document": " "}, 422, "document must name the supporting document"),
    ({"disbursed_at": "2026-11-30T12:00:00+01:00"}, 422, "must not be in the future"),
    ({"disbursed_at": "2026-11-01T12:00:00+01:00"}, 409, "it held 0.00 EUR then"),  # before the payment
], ids=["three-decimals", "negative", "zero", "not-a-number", "beyond-balance", "empty-purpose", "blank-purpose",
        "blank-document", "future", "before-the-money"])
def test_a_bad_disbursement_is_refused_with_its_reason_and_nothing_is_stored(
        api: Api, product: Product, body: dict[str, str], status: int, says: str) -> None:
    # Given Fondo Natale holding 50.00
    fund, _, _ = natale(api)
    product.catch_up()
    before, events = api.get(f"/funds/{fund}")["version"], product.feeds["donations"].head()
    # When a disbursement with one bad value is asked for
    good = {"amount": "20.00", "purpose": "Coperte", "document": "Ricevuta 12"}
    refused = api.post(f"/funds/{fund}/disbursements", {**good, **body}, status)
    # Then the reason says what was wrong, and nothing is stored: no event, the same figures, no new line
    assert says in refused["detail"]
    assert api.get(f"/funds/{fund}")["version"] == before and product.feeds["donations"].head() == events
    product.catch_up()
    page = api.get(f"/console/api/funds/{fund}")
    assert (page["disbursed"], page["balance"], len(page["disbursements"])) == ("30.00", "50.00", 1)


def test_a_closed_fund_keeps_its_name_and_its_balance_may_still_be_spent(api: Api, product: Product) -> None:
    fund, _, _ = natale(api)
    api.post(f"/funds/{fund}/close", {}, 200)
    assert "keeps its name" in api.post(f"/funds/{fund}/rename", {"name": "Fondo Pasqua"}, 409)["detail"]
    assert "already closed" in api.post(f"/funds/{fund}/close", {}, 409)["detail"]
    assert "is closed and takes no new pledges" in api.post(
        "/pledges", {"donor_id": api.donor(), "fund_id": fund, "amount": "5.00"}, 409)["detail"]
    # Closing stops new pledges; the money already raised is spent on what it was raised for.
    api.post(f"/funds/{fund}/disbursements", {"amount": "50.00", "purpose": "Pacchi alimentari",
                                              "document": "Fattura 2026/118"})
    assert "would leave" in api.post(f"/funds/{fund}/disbursements", {
        "amount": "0.01", "purpose": "Coperte", "document": "R-1"}, 409)["detail"]
    product.catch_up()
    [listed] = api.get("/console/api/funds")["funds"]
    assert (listed["closed"], listed["disbursed"], listed["balance"]) == (True, "80.00", "0.00")


def test_a_fund_is_renamed_and_a_bad_name_refused(api: Api, product: Product) -> None:
    fund = api.fund("Fondo Natale")
    assert "120 characters" in api.post(f"/funds/{fund}/rename", {"name": "  "}, 422)["detail"]
    assert "name" in api.post("/funds", {"name": ""}, 422)["detail"]
    api.post(f"/funds/{fund}/rename", {"name": "Fondo  Natale   2026"}, 200)
    product.catch_up()
    assert [f["name"] for f in api.get("/console/api/funds")["funds"]] == ["Fondo Natale 2026"]


@pytest.mark.parametrize("role", ["campaign_manager", "coordinator", "auditor", "viewer"])
def test_who_may_read_the_funds_desk(client: TestClient, client_as: RoleClient, product: Product, role: str) -> None:
    fund = client.post("/funds", json={"name": "Fondo Natale"}).json()["id"]
    product.catch_up()
    reader = client_as(role)
    assert reader.get("/console/api/funds").status_code == 200
    assert reader.get(f"/console/api/funds/{fund}").status_code == 200
    assert reader.get("/console/api/funds/events").status_code == 200
    assert reader.get(f"/console/api/funds/{fund}/events").status_code == 200
    acts = reader.post(f"/funds/{fund}/disbursements", json={"amount": "1.00", "purpose": "x", "document": "y"})
    assert acts.status_code == (409 if role == "campaign_manager" else 403)  # the manager is refused by the balance


def test_a_volunteer_and_a_stranger_do_not_read_the_funds(client_as: RoleClient) -> None:
    assert client_as("volunteer").get("/console/api/funds").status_code == 403
    assert client_as("volunteer").get("/console/api/funds/events").status_code == 403
    assert client_as("public").get("/console/api/funds").status_code == 401
    assert client_as("public").get(f"/console/api/funds/{NOWHERE}/events").status_code == 401


def test_a_client_not_asking_for_a_stream_gets_one_event_and_the_end(api: Api, client: TestClient,
                                                                      product: Product) -> None:
    fund, _, _ = natale(api)
    product.catch_up()
    listed = client.get("/console/api/funds/events")
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("text/event-stream")
    assert listed.text.count("event: funds\n") == 1 and '"balance":"50.00"' in listed.text
    one = client.get(f"/console/api/funds/{fund}/events")
    assert one.text.count("event: fund\n") == 1 and '"document":"Fattura 2026/117"' in one.text
    assert client.get(f"/console/api/funds/{NOWHERE}/events").status_code == 404


@pytest.mark.parametrize("path", ["/console/funds", f"/console/funds/{NOWHERE}"])
def test_the_funds_pages_label_every_control_and_speak_both_languages(client: TestClient, path: str) -> None:
    english = client.get(path, headers={"Accept-Language": "en"})
    assert english.status_code == 200 and english.headers["content-language"] == "en"
    controls = Controls()
    controls.feed(english.text)
    assert controls.unlabelled() == [] and controls.problems == []
    assert '<html lang="it-IT">' in client.get(path).text and "Tutti i fondi" in client.get(path).text


@pytest.fixture
def http(product: Product) -> Iterator[str]:
    """The product served by uvicorn on a real port in a thread (its feeds running), stopped at the end."""
    server = uvicorn.Server(uvicorn.Config(create_api_for(product), host="127.0.0.1", port=free_port(),
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=30)
    assert not thread.is_alive()


def events(lines: Iterator[str], name: str) -> Iterator[dict[str, Any]]:
    kind, data = "", ""
    for line in lines:
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and kind == name:
            yield json.loads(data)
            kind = data = ""


def test_a_payment_reaches_an_open_stream_within_a_second(http: str, product: Product, clock: FixedClock) -> None:
    admin = {"X-API-Key": api_key(product, "administrator")}
    with httpx.Client(base_url=http, timeout=10) as web:
        api = Api(web)  # type: ignore[arg-type]
        web.headers.update(admin)
        fund = api.fund("Fondo Natale")
        pledge = api.pledge(api.donor(), fund, "100.00")
        viewer = {"X-API-Key": api_key(product, "viewer"), "Accept": "text/event-stream"}
        with web.stream("GET", "/console/api/funds/events", headers=viewer) as listing, \
                web.stream("GET", f"/console/api/funds/{fund}/events", headers=viewer) as one:
            funds, detail = events(listing.iter_lines(), "funds"), events(one.iter_lines(), "fund")
            assert next(funds)["funds"][0]["raised"] == "0.00" and next(detail)["months"] == []
            clock.advance(timedelta(minutes=1))
            paid = time.monotonic()
            api.pay(pledge, "25.50", "ch_natale_live")
            for state in funds:
                if state["funds"][0]["raised"] == "25.50":
                    break
            for page in detail:
                if page["balance"] == "25.50" and page["months"]:
                    break
            took = time.monotonic() - paid
            assert took < 1.5, f"the payment took {took:.2f} s to reach the streams"  # about 0.11 s measured
