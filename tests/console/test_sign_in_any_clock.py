"""Signing in to the console in Chromium, whatever the product's clock says: the browser judges the session
cookie by its own wall clock, so a product a year behind or ahead of it must still keep its users signed in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect

from tests.console.conftest import ADMIN, Server, served

pytestmark = pytest.mark.slow

YEAR = timedelta(days=365)


@pytest.fixture(scope="module", params=[-YEAR, timedelta(0), YEAR],
                ids=["product a year behind", "product on the real date", "product a year ahead"])
def skewed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The product with its clock a year behind the real date, on it, or a year ahead."""
    with served(tmp_path_factory.mktemp("skewed") / "var", datetime.now(UTC) + request.param) as running:
        yield running


def test_the_console_keeps_its_user_signed_in_whatever_the_products_clock(browser: Browser, skewed: Server) -> None:
    # Given the administrator on the sign-in page of a product whose clock may be a year away from the browser's
    page = browser.new_page(base_url=skewed.url, locale="en-GB")
    page.goto("/console/login?lang=en")
    # When she signs in
    page.get_by_label("E-mail").fill(ADMIN["email"])
    page.get_by_label("Password").fill(ADMIN["password"])
    page.get_by_role("button", name="Sign in").click()
    # Then her landing page, the accounts desk, knows her and stays (a lost cookie sends the browser back to the
    # sign-in page)
    page.wait_for_url(re.compile(r"/console/admin"))
    expect(page.locator("#who")).to_contain_text(f"{ADMIN['email']} (administrator)")
    expect(page).to_have_url(re.compile(r"/console/admin"))
    page.close()
