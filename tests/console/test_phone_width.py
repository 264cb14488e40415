"""On a phone 390 px wide no console page scrolls sideways: tables scroll in their own box, fields fit the screen."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import Browser, expect

from tests.conftest import ROME
from tests.console.conftest import Server, launched_campaign
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


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", ["/", "/console/login", "/console/campaigns", "/console/campaigns/{campaign}",
                                  "/console/calling", "/console/hours", "/console/auditor"])
def test_no_console_page_is_wider_than_a_phone(
        browser: Browser, server: Server, campaign_id: str, path: str, lang: str) -> None:
    # Given the administrator on a phone 390 px wide
    page = signed_in_page(browser, server, "it-IT" if lang == "it" else "en-GB", width=PHONE)
    # When she opens a page of the console and its figures have arrived
    page.goto(f"{path.format(campaign=campaign_id)}?lang={lang}")
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


def test_a_chart_of_half_a_year_of_weeks_keeps_its_day_labels_apart_on_a_phone(
        browser: Browser, server: Server) -> None:
    # Given the hours page on a phone 390 px wide
    page = signed_in_page(browser, server, "it-IT", width=PHONE)
    page.goto("/console/hours?lang=it")
    # When the console draws 26 weeks, each named by its Monday (23/11), in a card of the phone's width
    boxes = page.evaluate("""async () => {
        const { barChart } = await import('/console/static/common.js');
        const card = document.createElement('div');
        card.className = 'chart';
        card.style.width = '320px';
        document.querySelector('main').append(card);
        const labels = Array.from({ length: 26 }, (_, i) => `${(i % 28) + 1}/11`);
        barChart(card, labels, [{ name: 'a', class: 's1', values: labels.map(() => 3) },
                                { name: 'b', class: 's2', values: labels.map(() => 1) }], 'ore');
        return [...card.querySelectorAll('text.axis[text-anchor=middle]')].map((t) => {
            const r = t.getBoundingClientRect(); return [r.left, r.right]; });
    }""")
    # Then some days are named, and no two labels touch
    assert len(boxes) >= 4
    assert all(left_next > right for (_, right), (left_next, _) in itertools.pairwise(boxes)), boxes


def test_a_chart_of_half_a_year_of_weeks_keeps_its_day_labels_apart_on_a_desktop(
        browser: Browser, server: Server) -> None:
    # Given the hours page on a desktop, its chart card 1,000 px wide
    page = signed_in_page(browser, server, "it-IT", width=1280)
    page.goto("/console/hours?lang=it")
    # When the console draws 25 weeks named by their Monday (15/06 … 30/11), as the demo's hours page does
    boxes = page.evaluate("""async () => {
        const { barChart } = await import('/console/static/common.js');
        const card = document.createElement('div');
        card.className = 'chart';
        card.style.width = '1000px';
        document.querySelector('main').append(card);
        const labels = Array.from({ length: 25 }, (_, i) => `${String(10 + (i % 18)).padStart(2, '0')}/0${1 + i % 9}`);
        barChart(card, labels, [{ name: 'a', class: 's1', values: labels.map(() => 3) },
                                { name: 'b', class: 's2', values: labels.map(() => 1) }], 'ore');
        return [...card.querySelectorAll('text.axis[text-anchor=middle]')].map((t) => {
            const r = t.getBoundingClientRect(); return [r.left, r.right]; });
    }""")
    # Then several weeks are named, and no two labels touch
    assert len(boxes) >= 6
    assert all(left_next > right for (_, right), (left_next, _) in itertools.pairwise(boxes)), boxes
    page.close()
