"""On a phone 390 px wide no console page scrolls sideways: tables scroll in their own box, fields fit the screen."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.conftest import ROME
from tests.console.conftest import LOCALES, Server, launched_campaign
from tests.console.test_console_first_hour import signed_in_page

pytestmark = pytest.mark.slow
PHONE = 390


@pytest.fixture(scope="module")
def campaign_id(server: Server) -> str:
    """'Raccolta straordinaria per l'alluvione in Emilia-Romagna', launched with two donors, so that every table
    of the console has rows, and long ones."""
    return launched_campaign(server, "Raccolta straordinaria per l'alluvione in Emilia-Romagna",
                             "Fondo emergenze alluvione Emilia-Romagna", server.started_at.astimezone(ROME).date(),
                             goal="142000")


# polish
@pytest.fixture(scope="module")
def office(server: Server, campaign_id: str) -> dict[str, str]:
    """The donations office's pages with rows, and long ones: a donor with a long name pledged to the flood fund
    in instalments (one overdue), paid part by bank transfer with a long reference, and the fund spent in part."""
    api, today = server.api, server.started_at.astimezone(ROME).date()
    fund = api.get(f"/campaigns/{campaign_id}").json()["fund_id"]
    donor = api.post("/donors", json={"kind": "person", "name": "Maria Antonietta Bianchi-Fontanarossa",
                                      "tax_code": "BNCMNT80A41F205X"}).json()["id"]
    pledge = api.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "1500.00", "instalments": [
        {"due_on": (today - timedelta(days=45)).isoformat(), "amount": "750.00"},
        {"due_on": (today + timedelta(days=30)).isoformat(), "amount": "750.00"}]})
    assert pledge.status_code == 201, pledge.text
    paid = api.post(f"/pledges/{pledge.json()['id']}/payments", json={
        "amount": "500.00", "method": "bank_transfer", "reference": "BONIFICO-SEPA-2026-000000012345678"})
    assert paid.status_code == 201, paid.text
    spent = api.post(f"/funds/{fund}/disbursements", json={
        "amount": "120.00", "purpose": "Pacchi alimentari per le famiglie sfollate di Faenza e Lugo",
        "document": "FATTURA-2026-000123"})
    assert spent.status_code == 201, spent.text
    return {"donor": donor, "fund": fund, "pledge": pledge.json()["id"]}
# (end of polish)


@pytest.fixture(scope="module")
def phone(browser: Browser, server: Server) -> Iterator[dict[str, BrowserContext]]:
    """The administrator's session on a phone 390 px wide, one browser context per language: signed in once for
    the pages below, which only read (a sign-in per page was a production-cost password check each)."""
    contexts = {lang: signed_in_page(browser, server, LOCALES[lang], width=PHONE).context for lang in LOCALES}
    yield contexts
    for context in contexts.values():
        context.close()


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", ["/", "/console/login", "/console/campaigns", "/console/campaigns/{campaign}",
                                  "/console/calling", "/console/hours", "/console/auditor", "/console/helpline",
                                  "/console/protocols", "/console/shifts", "/join", "/console/volunteers",
                                  "/console/now",
                                  "/console/directory",  # directory
                                  "/console/regular",  # regular
                                  "/console/donors",  # donors
                                  # polish
                                  "/console/donors/{donor}", "/console/funds", "/console/funds/{fund}",
                                  "/console/privacy", "/console/pledges/new", "/console/pledges/{pledge}",
                                  "/console/gifts/import", "/console/gifts/overdue", "/console/admin",
                                  "/console/receipts",
                                  # (end of polish)
                                  ])
def test_no_console_page_is_wider_than_a_phone(
        phone: dict[str, BrowserContext], server: Server, campaign_id: str, office: dict[str, str], path: str,
        lang: str) -> None:
    # Given the administrator on a phone 390 px wide
    page = phone[lang].new_page()
    # When she opens a page of the console and its figures have arrived
    page.goto(f"{path.format(campaign=campaign_id, **office)}?lang={lang}")
    page.wait_for_load_state("networkidle")
    if "{campaign}" in path:
        expect(page.locator("#callable")).not_to_have_text("—")
    # Then nothing sticks out to the right: the page never scrolls sideways
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
                       && !(e.parentElement && e.parentElement.closest(".scroll")))
        .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE, f"wider than the screen: {wide}"
    page.close()


# Weeks named by their Monday: 26 of 'd/11' in a phone's card, 25 of 'dd/0m' (15/06 … 30/11, as the demo's
# hours page has them) in a desktop's.
PHONE_WEEKS = [f"{i % 28 + 1}/11" for i in range(26)]
DESKTOP_WEEKS = [f"{10 + i % 18:02d}/0{1 + i % 9}" for i in range(25)]


@pytest.mark.parametrize(("width", "card", "weeks", "named"), [
    (PHONE, 320, PHONE_WEEKS, 4), (1280, 1000, DESKTOP_WEEKS, 6)], ids=["phone", "desktop"])
def test_a_chart_of_half_a_year_of_weeks_keeps_its_day_labels_apart(
        browser: Browser, server: Server, width: int, card: int, weeks: list[str], named: int) -> None:
    # Given the hours page at this width
    page = signed_in_page(browser, server, "it-IT", width=width)
    page.goto("/console/hours?lang=it")
    # When the console draws half a year of weeks in a chart card of this width
    boxes = page.evaluate("""async ([width, labels]) => {
        const { barChart } = await import('/console/static/common.js');
        const card = document.createElement('div');
        card.className = 'chart';
        card.style.width = `${width}px`;
        document.querySelector('main').append(card);
        barChart(card, labels, [{ name: 'a', class: 's1', values: labels.map(() => 3) },
                                { name: 'b', class: 's2', values: labels.map(() => 1) }], 'ore');
        return [...card.querySelectorAll('text.axis[text-anchor=middle]')].map((t) => {
            const r = t.getBoundingClientRect(); return [r.left, r.right]; });
    }""", [card, weeks])
    # Then several weeks are named, and no two labels touch
    assert len(boxes) >= named
    assert all(left_next > right for (_, right), (left_next, _) in itertools.pairwise(boxes)), boxes
    page.close()


# access
@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_join_week_fits_a_phone_without_a_box_of_its_own_to_scroll(browser: Browser, server: Server,
                                                                       lang: str) -> None:
    # Given a visitor (nobody signed in) on /join, on a phone
    context = browser.new_context(base_url=server.url, viewport={"width": PHONE, "height": 900})
    page = context.new_page()
    page.goto(f"/join?lang={lang}")
    # Then all 28 parts of the week are on the screen: none hides in a box scrolling sideways
    boxes = page.evaluate("""() => [...document.querySelectorAll('input[name=availability]')].map((i) => ({
        right: i.closest('label').getBoundingClientRect().right, scrolled: !!i.closest('.scroll') }))""")
    assert len(boxes) == 28
    assert not any(b["scrolled"] for b in boxes)
    assert max(b["right"] for b in boxes) <= PHONE
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE
    context.close()
# (end of access)
