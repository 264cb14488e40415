"""The live board's page without a browser: every control labelled, Italian by default and English when asked,
reachable from the navigation (the browser test is tests/console/test_board_e2e.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.console.test_accessibility import Controls


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_of_the_board_has_a_label_and_every_button_a_name(page_reader: TestClient, lang: str) -> None:
    page = page_reader.get(f"/console/now?lang={lang}")
    assert page.status_code == 200 and page.headers["content-language"] == lang
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def test_the_board_speaks_italian_by_default_and_english_when_asked(client: TestClient) -> None:
    italian = client.get("/console/now").text
    assert '<html lang="it-IT">' in italian and "Uscite dimenticate" in italian and "Al telefono" in italian
    english = client.get("/console/now", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert "Forgotten clock-outs" in english and "On a call" in english
    assert 'href="/console/now?lang=en" aria-current="page"' in english
    assert 'href="/console/now?lang=it"' in client.get("/console/hours").text
