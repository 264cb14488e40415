"""The week and the live board as their users meet them: `/console/shifts` with 1,000 slots in the week shown and
`/console/now` with 200 volunteers clocked in, on the embedded default (SQLite), served by uvicorn on a real port.

For each page: time to first byte (httpx) and, in Chromium, the navigation's responseStart, its load event and
the moment the page is usable (the week's 1,000 slots drawn in the calendar; the board showing all 200 with
their names). Also the JSON the week page reads: GET /shifts for the week (one page of 1,000) and
GET /shifts/coverage (14 days). p50 and p95 over `--runs` requests and `--browser-runs` page loads.

The data goes in through the use cases (patterns, single slots, sign-ups, clock-ins), so the same script
measures any version of the code: run it with PYTHONPATH on a worktree of main for the baseline.

Run: `.venv/bin/python -m bench.console_pages [--slots 1000] [--volunteers 200] [--runs 30] [--browser-runs 8]`

Measured 2026-12-02 on the shared 2-core machine (busy: other test runs alongside, so figures wander by 2x between
runs), three rounds alternating the baseline (main at 61383ea, from a git worktree) and the bulk read with its
cache; medians over the rounds of each round's p50, and the range of the per-round ratios new/baseline:
  GET /shifts, the week's 1,000 slots   290 ms -> 42 ms   (0.07-0.17)
  GET /shifts/coverage, 14 days         228 ms -> 43 ms   (0.06-0.23)
  /console/shifts usable (1,000 drawn)  1,458 ms -> 1,114 ms (0.58-0.85): the rest is the page drawing 1,000 slots
  /console/shifts first byte, load event, /console/now (first byte, load, usable): not changed by it (ratios 0.4-1.6
  from run to run, noise). /console/now is usable at ~1.3-1.6 s, waiting for the board's names.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from contextlib import suppress
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.serving import serve
from services.calls.application import CallsApplication
from services.calls.domain.rota import DailySlot, Pattern, every_hours
from services.identity.domain import SYSTEM, Role
from services.kernel.clock import FixedClock
from services.kernel.errors import DomainError
from services.kernel.settings import Settings
from services.main import build

PASSWORD = "una-password-lunga"
ROME = ZoneInfo("Europe/Rome")
ROLES = ("helpline", "outreach", "coordinator")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def next_monday() -> date:
    today = datetime.now(ROME).date()
    return today + timedelta(days=7 - today.weekday())


def fill_week(calls: CallsApplication, clock: FixedClock, monday: date, slots: int, volunteers: int) -> list[Any]:
    """`slots` slots in the week from `monday`: a 24/7 pattern of 1-hour slots per role (504), the rest single
    2-hour reinforcements; each volunteer signs up for one pattern slot and one reinforcement."""
    clock.set(datetime.combine(monday - timedelta(days=1), datetime.min.time(), ROME).replace(hour=12))
    people = [calls.register_volunteer(f"Volontario {n}", "+39 02 1234 5678", f"v{n}@example.org",
                                       ["helpline", "outreach"]) for n in range(volunteers)]
    hourly: dict[str, list[Any]] = {}
    for role in ROLES:
        pattern = Pattern(monday, 1, (1, 2, 3, 4, 5, 6, 7), tuple(every_hours(1)), ROME)
        hourly[role] = calls.schedule_pattern(pattern, role, 2)
    singles = []
    for n in range(max(0, slots - 3 * 168)):
        day = monday + timedelta(days=n % 7)
        span = DailySlot.parse(f"{(n // 7) % 22:02d}:30", f"{(n // 7) % 22 + 2:02d}:30").span(day, ROME)
        singles.append(calls.schedule_shift(*span, ROLES[n % 2], 2))
    for n, person in enumerate(people):
        for shift in (hourly["helpline"][n % len(hourly["helpline"])], singles[n % len(singles)] if singles else None):
            if shift is not None:
                with suppress(DomainError):  # an overlap or a full slot: the bench wants many sign-ups, not these
                    calls.sign_up(shift, person)
    return people


def timed_get(web: httpx.Client, path: str, runs: int) -> tuple[list[float], list[float]]:
    """Time to first byte and to the whole body, in seconds, `runs` times (after one request not counted: the
    first compiles the page's template and fills the caches)."""
    web.get(path)
    first, whole = [], []
    for _ in range(runs):
        started = time.perf_counter()
        with web.stream("GET", path) as response:
            assert response.status_code == 200, (path, response.status_code, response.read()[:300])
            chunks = response.iter_bytes()
            next(chunks)
            first.append(time.perf_counter() - started)
            for _chunk in chunks:
                pass
            whole.append(time.perf_counter() - started)
    return first, whole


def browser_loads(url: str, token: str, path: str, ready: str, runs: int) -> dict[str, list[float]]:
    """Chromium's responseStart, load event end and the moment `ready` (a JS expression) holds, in ms."""
    from playwright.sync_api import sync_playwright

    from services.identity.auth import SESSION_COOKIE
    from tests.console.conftest import CHROMIUM_ARGS

    figures: dict[str, list[float]] = {"responseStart": [], "loadEventEnd": [], "usable": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=url)
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": url}])
        for run in range(runs + 1):  # the first load warms the browser's cache of scripts and styles: not counted
            page = context.new_page()
            page.goto(path, wait_until="load")
            page.wait_for_function(ready, polling="raf", timeout=120_000)
            usable = page.evaluate("performance.now()")
            navigation = json.loads(page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])"))
            if run:
                figures["responseStart"].append(navigation["responseStart"])
                figures["loadEventEnd"].append(navigation["loadEventEnd"])
                figures["usable"].append(usable)
            page.close()
        browser.close()
    return figures


def report(what: str, values: list[float], scale: float = 1.0) -> None:
    print(f"{what:<58} p50 {quantile(values, 0.5) * scale:8.1f} ms   p95 {quantile(values, 0.95) * scale:8.1f} ms"
          f"   (n={len(values)})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slots", type=int, default=1000)
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--browser-runs", type=int, default=8)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    import services

    print(f"code: {Path(services.__file__).parent.parent}", flush=True)
    monday = next_monday()
    clock = FixedClock(datetime.now(ROME))
    with tempfile.TemporaryDirectory() as scratch:
        product = build(Settings(mode="embedded", data_dir=Path(scratch) / "var"), clock)
        calls = product.services["calls"].application
        assert isinstance(calls, CallsApplication) and product.identity is not None
        started = time.perf_counter()
        people = fill_week(calls, clock, monday, args.slots, args.volunteers)
        print(f"set-up: {args.slots} slots and sign-ups in {time.perf_counter() - started:.1f} s", flush=True)
        clock.set(datetime.combine(monday, datetime.min.time(), ROME).replace(hour=9))  # Monday 09:00 of that week
        for person in people:
            calls.clock_in(person)
        server, thread, url = serve(product)
        product.identity.create_account("chiara@angeli.example", PASSWORD, Role.COORDINATOR.value, SYSTEM)
        token = httpx.post(f"{url}/auth/sign-in", json={"email": "chiara@angeli.example",
                                                        "password": PASSWORD}, timeout=60).json()["token"]
        week_from = datetime.combine(monday, datetime.min.time(), ROME)
        week = {"from": week_from.isoformat(), "to": (week_from + timedelta(days=7)).isoformat(), "limit": "1000"}
        shifts = f"/shifts?{httpx.QueryParams(week)}"
        time.sleep(2.0)  # the follower projects the clock-ins for the board
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=120) as web:
            listed = web.get(shifts).json()["shifts"]
            assert len(listed) == min(args.slots, 1000), len(listed)
            measured: list[tuple[str, str]] = [("/console/shifts", "page shell"), (shifts, "week's slots"),
                                               ("/shifts/coverage", "14 days"), ("/console/now", "page shell"),
                                               ("/console/api/board", "board state")]
            for path, about in measured:
                first, whole = timed_get(web, path, args.runs)
                name = path.split("?")[0]
                report(f"GET {name} ({about}) first byte", first, 1000)
                report(f"GET {name} ({about}) whole body", whole, 1000)
        if not args.no_browser:
            pages: list[tuple[str, str, str]] = [
                ("/console/shifts?lang=it", f"{args.slots} slots drawn",
                 f"document.querySelectorAll('#calendar li.sh-slot').length === {min(args.slots, 1000)}"),
                ("/console/now?lang=it", f"{args.volunteers} clocked in shown",
                 f"document.getElementById('count-in')?.textContent === '{args.volunteers}' && "
                 "!document.querySelector('#idle tbody tr th')?.textContent.match(/^[0-9a-f]{8}$/)"),
            ]
            for path, usable, ready in pages:
                figures = browser_loads(url, token, path, ready, args.browser_runs)
                name = path.split("?")[0]
                report(f"Chromium {name} responseStart", figures["responseStart"])
                report(f"Chromium {name} load event end", figures["loadEventEnd"])
                report(f"Chromium {name} usable ({usable})", figures["usable"])
        server.should_exit = True
        thread.join(timeout=60)
        product.stop()


if __name__ == "__main__":
    main()
