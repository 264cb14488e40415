"""Live board: server-sent event delay from a clock-in to the board, p50/p99, and /console/now with 200
volunteers clocked in (time to first byte, Chromium's load event, and the moment the board shows all 200).

The embedded default (SQLite, in-process follower) served by uvicorn on a real port, as in production. One
board stream is open as a coordinator; volunteers clock in one at a time through the use case, and the delay is
the arrival of the first `board` event showing that volunteer minus the return of the clock-in's save.

Run: `.venv/bin/python -m bench.board [--volunteers 200] [--samples 100]`
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path
from uuid import UUID

import httpx

from bench.serving import serve
from services.calls.application import CallsApplication
from services.identity.domain import SYSTEM, Role
from services.kernel.settings import Settings
from services.main import Product, build

PASSWORD = "una-password-lunga"


class Stream(threading.Thread):
    """Reads the board's event stream (reopening it when a bounded stream ends, as EventSource does) and notes
    when each volunteer first shows on the board."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(daemon=True)
        self.url, self.key = url, key
        self.seen: dict[str, float] = {}
        self.events = 0
        self.done = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30,
                          headers={"X-API-Key": self.key, "Accept": "text/event-stream"}) as web:
            while not self.done.is_set():
                with web.stream("GET", "/console/api/board/events") as stream:
                    for line in stream.iter_lines():
                        if self.done.is_set():
                            return
                        if line.startswith("data: "):
                            self._board(json.loads(line[6:]), time.perf_counter())

    def _board(self, state: dict[str, list[dict[str, str]]], at: float) -> None:
        with self.lock:
            self.events += 1
            for person in state["idle"] + state["on_call"] + state["forgotten"]:
                self.seen.setdefault(person["volunteer_id"], at)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def sse_delays(product: Product, url: str, volunteers: list[UUID], samples: int) -> list[float]:
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication) and product.identity is not None
    stream = Stream(url, product.identity.create_key("bench board", Role.COORDINATOR.value, SYSTEM)[1])
    stream.start()
    time.sleep(1.0)
    delays = []
    for volunteer in volunteers[:samples]:
        calls.clock_in(volunteer)
        saved = time.perf_counter()
        deadline = saved + 10
        while time.perf_counter() < deadline:
            with stream.lock:
                arrived = stream.seen.get(str(volunteer))
            if arrived is not None:
                delays.append(arrived - saved)
                break
            time.sleep(0.002)
        time.sleep(0.05)  # one clock-in at a time: each delay is one change's own
    stream.done.set()
    return delays


def page_load(product: Product, url: str, expected: int) -> dict[str, float]:
    """Time to first byte of /console/now and of its data, and Chromium's load and all-shown moments."""
    assert product.identity is not None
    product.identity.create_account("chiara@angeli.example", PASSWORD, Role.COORDINATOR.value, SYSTEM)
    token = httpx.post(f"{url}/auth/sign-in", json={"email": "chiara@angeli.example", "password": PASSWORD}).json()
    figures: dict[str, float] = {}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token['token']}"}) as web:
        for path in ("/console/now", "/console/api/board"):
            times = []
            for _ in range(20):
                started = time.perf_counter()
                with web.stream("GET", path) as response:
                    next(response.iter_bytes())
                    times.append(time.perf_counter() - started)
            figures[f"ttfb {path} p50 ms"] = quantile(times, 0.5) * 1000
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright

        from services.identity.auth import SESSION_COOKIE
        from tests.console.conftest import CHROMIUM_ARGS
    except ImportError:
        return figures
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=url)
        context.add_cookies([{"name": SESSION_COOKIE, "value": token["token"], "url": url}])
        page = context.new_page()
        started = time.perf_counter()
        page.goto("/console/now?lang=it", wait_until="load")
        figures["chromium load event ms"] = (time.perf_counter() - started) * 1000
        page.wait_for_function(f"document.getElementById('count-in').textContent === '{expected}' && "
                               "!document.querySelector('#idle tbody tr th')?.textContent.match(/^[0-9a-f]{8}$/)")
        figures["chromium board shown with names ms"] = (time.perf_counter() - started) * 1000
        timing = page.evaluate("JSON.stringify(performance.getEntriesByType('navigation')[0])")
        navigation = json.loads(timing)
        figures["chromium responseStart ms"] = navigation["responseStart"]
        figures["chromium loadEventEnd ms"] = navigation["loadEventEnd"]
        browser.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        product = build(Settings(mode="embedded", data_dir=Path(scratch) / "var"))
        server, thread, url = serve(product)
        calls = product.services["calls"].application
        assert isinstance(calls, CallsApplication)
        volunteers = [calls.register_volunteer(f"Volontario {n}", "+39 02 1234 5678", f"v{n}@example.org",
                                               ["helpline"]) for n in range(args.volunteers)]
        time.sleep(2.0)  # the follower projects the registrations
        delays = sse_delays(product, url, volunteers, min(args.samples, args.volunteers))
        print(f"SSE delay clock-in → board (embedded, {len(delays)} clock-ins): "
              f"p50 {quantile(delays, 0.5) * 1000:.1f} ms, p90 {quantile(delays, 0.9) * 1000:.1f} ms, "
              f"p99 {quantile(delays, 0.99) * 1000:.1f} ms, "
              f"max {max(delays) * 1000:.1f} ms")
        for volunteer in volunteers[args.samples:]:
            calls.clock_in(volunteer)
        time.sleep(2.0)
        for name, value in page_load(product, url, args.volunteers).items():
            print(f"/console/now with {args.volunteers} clocked in: {name} {value:.1f}")
        server.should_exit = True
        thread.join(timeout=60)


if __name__ == "__main__":
    main()
