"""The sign-up and desk pages without a browser: labelled controls, named buttons, both languages, the form built
from the published vocabulary, and no personal data in the shells."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.calls.contract import JOIN_CONSENT_VERSION
from tests.console.test_accessibility import Controls

PAGES = ["/join", "/console/welcome", "/console/volunteers", "/console/volunteers/6a0f5d2e-1111-4c2b-9b55-000000000001"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_control_has_a_label_and_every_button_a_name(page_reader: TestClient, path: str, lang: str) -> None:
    page = page_reader.get(f"{path}?lang={lang}")
    assert page.status_code == 200 and page.headers["content-language"] == lang
    controls = Controls()
    controls.feed(page.text)
    assert controls.unlabelled() == []
    assert controls.problems == []


def test_the_join_form_offers_every_day_and_part_of_the_week_and_names_its_consent_text(client: TestClient) -> None:
    page = client.get("/join", headers={"Accept-Language": "en"}).text
    assert page.count('name="availability"') == 28
    assert 'aria-label="Saturday, Afternoon"' in page
    assert f'name="consent_version" value="{JOIN_CONSENT_VERSION}"' in page
    assert "Become a volunteer" in page and "Diventa volontario" in client.get("/join").text


def test_the_desk_is_in_the_navigation(client: TestClient) -> None:
    page = client.get("/console/volunteers?lang=it").text
    assert 'href="/console/volunteers?lang=it" aria-current="page"' in page
