"""Accessibility of the donations office's pages as the reader gets them — after their scripts drew the forms,
tables and buttons from the API, which the server-rendered check (test_accessibility.py) cannot see: every
visible control has a label, every button and link a name, every image a text, no id is used twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.conftest import ROME, calling_morning
from tests.console.conftest import LOCALES, Server, served
from tests.console.test_console_first_hour import signed_in_page

pytestmark = pytest.mark.slow

PAGES = ["/console/donors", "/console/donors/{donor}", "/console/funds", "/console/funds/{fund}",
         "/console/privacy?person={donor}", "/console/pledges/new?donor={donor}", "/console/pledges/{pledge}",
         "/console/pledges/{goods}", "/console/gifts/import", "/console/gifts/overdue", "/console/admin",
         "/console/receipts", "/console/regular?donor={donor}"]

PROBLEMS = """() => {
  const shown = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length)
    && getComputedStyle(e).visibility !== "hidden";
  const named = (e) => (e.getAttribute("aria-label") || "").trim() || (e.getAttribute("title") || "").trim()
    || (e.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean)
         .map((id) => (document.getElementById(id)?.textContent || "").trim()).join("")
    || (e.textContent || "").trim() || [...e.querySelectorAll("img[alt]")].map((i) => i.alt).join("");
  const what = (e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className} ${e.outerHTML.slice(0, 120)}`;
  const problems = [];
  for (const e of document.querySelectorAll("input, select, textarea")) {
    if (e.type === "hidden" || !shown(e)) continue;
    const labelled = [...(e.labels || [])].some((l) => l.textContent.trim())
      || (e.getAttribute("aria-label") || "").trim() || (e.getAttribute("aria-labelledby") || "").trim();
    if (!labelled) problems.push(`control without a label: ${what(e)}`);
  }
  for (const e of document.querySelectorAll("button, a[href], [role=button]")) {
    if (shown(e) && !named(e)) problems.push(`${e.tagName.toLowerCase()} without a name: ${what(e)}`);
  }
  for (const e of document.querySelectorAll("img:not([alt])")) problems.push(`img without alt: ${what(e)}`);
  const seen = new Map();
  for (const e of document.querySelectorAll("[id]")) seen.set(e.id, (seen.get(e.id) || 0) + 1);
  for (const [id, n] of seen) if (n > 1) problems.push(`id used ${n} times: ${id}`);
  return problems;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("office-a11y") / "var", calling_morning()) as running:
        yield running


@pytest.fixture(scope="module")
def office(server: Server) -> dict[str, str]:
    """A donor with a consent, a money pledge in instalments partly paid, a pledge of goods, a regular gift, a
    disbursement: every table and form of the office's pages has something in it."""
    api, today = server.api, server.started_at.astimezone(ROME).date()
    fund = api.post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
    donor = api.post("/donors", json={"kind": "person", "name": "Giulia Rossi", "phone": "+39 02 1234 5678",
                                      "tax_code": "RSSGLI80A41F205X"}).json()["id"]
    pledge = api.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "100.00", "instalments": [
        {"due_on": (today - timedelta(days=40)).isoformat(), "amount": "50.00"},
        {"due_on": (today + timedelta(days=20)).isoformat(), "amount": "50.00"}]}).json()["id"]
    assert api.post(f"/pledges/{pledge}/payments", json={"amount": "30.00", "method": "bank_transfer",
                                                         "reference": "CRO-0001"}).status_code == 201
    goods = api.post("/pledges", json={"donor_id": donor, "fund_id": fund, "kind": "goods", "amount": "80.00",
                                       "description": "coperte", "quantity": 10}).json()["id"]
    assert api.post(f"/funds/{fund}/disbursements", json={"amount": "10.00", "purpose": "Coperte",
                                                          "document": "Fattura 12"}).status_code == 201
    assert api.post(f"/privacy/persons/{donor}/consents", json={
        "purpose": "newsletter", "source": "modulo web", "given_at": server.started_at.isoformat()}).status_code == 201
    assert api.post("/commitments", json={
        "donor_id": donor, "fund_id": fund, "amount": "10.00", "frequency": "monthly", "day": 5,
        "start": today.isoformat(), "method": "card"}).status_code == 201, "the regular gift"
    return {"donor": donor, "fund": fund, "pledge": pledge, "goods": goods}


@pytest.fixture(scope="module")
def administrator(browser: Browser, server: Server) -> Iterator[dict[str, BrowserContext]]:
    """The administrator's session, one browser context per language: signed in once for the pages below, which
    only read (a sign-in per page was a production-cost password check each)."""
    contexts = {lang: signed_in_page(browser, server, LOCALES[lang]).context for lang in LOCALES}
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_every_drawn_control_has_a_label_and_every_button_and_link_a_name(
        administrator: dict[str, BrowserContext], office: dict[str, str], path: str, lang: str) -> None:
    # Given the administrator (who may do everything, so every form is drawn) on a page with its data
    page = administrator[lang].new_page()
    target = path.format(**office)
    page.goto(f"{target}{'&' if '?' in target else '?'}lang={lang}")
    page.wait_for_load_state("networkidle")
    # Then what the scripts drew is labelled and named
    assert page.evaluate(PROBLEMS) == []
    page.close()


def test_the_check_finds_an_unlabelled_control_a_nameless_button_an_image_without_alt_and_a_repeated_id(
        browser: Browser) -> None:
    page = browser.new_page()
    page.set_content("""<main><label for="a">Importo</label><input id="a"><input id="b" name="b">
        <button type="button"></button><button type="button" aria-label="Chiudi"></button><img src="x.png">
        <p id="c"></p><p id="c"></p><select id="d" hidden></select></main>""")
    problems = page.evaluate(PROBLEMS)
    assert [p.split(":")[0] for p in problems] == [
        "control without a label", "button without a name", "img without alt", "id used 2 times"], problems
    page.close()
