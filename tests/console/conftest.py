"""The product served by uvicorn in a subprocess (embedded, temporary data, its clock starting at the next
calling morning after the real today: the browser judges its cookies by the real date) and Debian's Chromium
driven by Playwright — no browser is downloaded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from services.identity.auth import SESSION_COOKIE
from tests.conftest import calling_morning, free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
ADMIN = {"email": "anna@angeli.example", "password": "sette-angeli-milano"}
# Date and time inputs are drawn in the browser's own language, and this Chromium ships en-US alone (a context's
# locale reaches scripts, not the controls): they would read 12/03/2026 and 02:00 PM on an Italian page. The Blink
# feature below draws them in the page's language instead (<html lang="it-IT">, and "en-GB" on English pages: both
# 03/12/2026, 14:00), as a reader's browser set to that language does.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--enable-blink-features=LangAttributeAwareFormControlUI"]


@dataclass
class Server:
    url: str
    api: httpx.Client  # signed in as the administrator
    started_at: datetime  # the product's clock when it started (it runs on from there)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with served(tmp_path_factory.mktemp("console") / "var", calling_morning()) as running:
        yield running


@contextmanager
def served(data: Path, clock_start: datetime, admin: bool = True, host: str = "127.0.0.1",
           settings: dict[str, str] | None = None) -> Iterator[Server]:
    """The product on the data in `data` (empty, unless `admin` is False: then served again after an earlier
    `served` made the administrator ADMIN there), its clock starting at `clock_start`; `settings`: more ANGELI_*
    environment (e.g. ANGELI_TELEPHONY=sip)."""
    env = {**os.environ, "ANGELI_MODE": "embedded", "ANGELI_DATA_DIR": str(data),
           "ANGELI_CLOCK_START": clock_start.isoformat(), "ANGELI_ADMIN_PASSWORD": ADMIN["password"],
           **(settings or {})}
    if admin:
        subprocess.run([sys.executable, "-m", "services.cli", "admin", "create", "--email", ADMIN["email"],
                        "--password-env", "ANGELI_ADMIN_PASSWORD"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    port = free_port()
    process = subprocess.Popen(
        # A page a test left open keeps its live stream (up to 20 s, services/kernel/sse.py) and uvicorn waits for
        # open responses when stopped: after 2 s it ends them, then the product stops as usual.
        [sys.executable, "-m", "uvicorn", "--factory", "services.main:create_app", "--host", host,
         "--port", str(port), "--log-level", "warning", "--timeout-graceful-shutdown", "2"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    url = f"http://{host}:{port}"
    api = httpx.Client(base_url=url, timeout=10)
    try:
        _wait_healthy(api, process)
        token = api.post("/auth/sign-in", json=ADMIN).json()["token"]
        api.cookies.clear()
        api.headers["Authorization"] = f"Bearer {token}"
        yield Server(url, api, clock_start)
    finally:
        api.close()
        process.terminate()
        process.wait(timeout=30)


def _wait_healthy(api: httpx.Client, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if api.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the product did not start: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        time.sleep(0.2)


# The reader's locale for each language of the pages: a date input shows 03/12/2026 to both (en-US, Playwright's
# default whatever Chromium's --lang, would show 12/03/2026), and the pages' own figures follow it.
LOCALES = {"it": "it-IT", "en": "en-GB"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium whose contexts (and pages made without one) read the product's default language, Italian, unless
    the test names a locale (LOCALES["en"] for English pages)."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        new_context, new_page = launched.new_context, launched.new_page
        launched.new_context = lambda **options: new_context(**{"locale": LOCALES["it"], **options})  # type: ignore[method-assign]
        launched.new_page = lambda **options: new_page(**{"locale": LOCALES["it"], **options})  # type: ignore[method-assign]
        yield launched
        launched.close()


def page_for(browser: Browser, url: str, lang: str, width: int = 1280) -> Page:
    """A page in a context of its own, for a reader of `lang` at `width` pixels."""
    context = browser.new_context(base_url=url, viewport={"width": width, "height": 900}, locale=LOCALES[lang])
    return context.new_page()


def page_as(browser: Browser, server: Server, email: str, password: str, lang: str, width: int) -> Page:
    """A page in a context of its own, signed in as `email` (the session cookie set as the product sets it)."""
    token = httpx.post(f"{server.url}/auth/sign-in", json={"email": email, "password": password},
                       timeout=10).json()["token"]
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": 900}, locale=LOCALES[lang])
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server.url, "httpOnly": True,
                          "sameSite": "Strict"}])
    return context.new_page()


def until(check: Callable[[], Any], what: str) -> Any:
    """The read models follow the event stores a moment later: wait (a few seconds at most) for `check`."""
    for _ in range(100):
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def signed_in_through_form(browser: Browser, server: Server, email: str, password: str, lang: str, width: int,
                           page_path: str) -> Page:
    """A new page at `width` whose reader signed in on the sign-in page and was sent on to `page_path`."""
    page = browser.new_page(base_url=server.url, viewport={"width": width, "height": 900}, locale=LOCALES[lang])
    page.goto(f"/console/login?lang={lang}&next={page_path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(page_path))
    return page


def fits(page: Page) -> None:
    """The page is no wider than its screen (no sideways scrolling); when it is, the message names what sticks out
    (elements inside a `.scroll` box may scroll on their own)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
                       && !(e.parentElement && e.parentElement.closest(".scroll")))
        .map((e) => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`).slice(0, 8)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"wider than the screen: {wide}"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def launched_campaign(server: Server, name: str, fund_name: str, today: date, goal: str = "3000",
                      window: dict[str, object] | None = None) -> str:
    """Campaign `name` for a new fund `fund_name`, running from three days before `today`, the register checked
    `today`, launched with two donors, Maria and Luca; its id."""
    from tests.campaigns.conftest import SCRIPT

    checked = server.api.post("/suppression/register", data={"checked_on": today.isoformat()},
                              files={"file": ("rpo.csv", b"phone\n", "text/csv")})
    assert checked.status_code == 201, checked.text
    fund = server.api.post("/funds", json={"name": fund_name}).json()["id"]
    created = server.api.post("/campaigns", json={
        "name": name, "fund_id": fund, "goal": goal, "starts_on": (today - timedelta(days=3)).isoformat(),
        "ends_on": (today + timedelta(days=60)).isoformat(), **({"window": window} if window else {}),
        "script": {"text": "Buongiorno {first_name}. {privacy_notice}", "privacy_notice": SCRIPT["privacy_notice"]}})
    assert created.status_code == 201, created.text
    campaign: str = created.json()["id"]
    donors = b"nome;telefono\nMaria;02 1234 5678\nLuca;06 9876 5432\n"
    assert server.api.post(f"/campaigns/{campaign}/contacts/import",
                           files={"file": ("donatori.csv", donors, "text/csv")}).status_code == 201
    assert server.api.post(f"/campaigns/{campaign}/launch").status_code == 200
    return campaign
