"""Telephony port: the helpline's inbound decision, leg facts into the event store, dialog end → hang-up readable,
and the Switchboard's read time after many calls, each beside a baseline measured in the same run.

The product is served by uvicorn on a real port (the embedded SQLite default, or `--postgres`: a scratch database
of its own, this process running the API only, as a distributed API replica does) with ANGELI_TELEPHONY=sip, and
`--volunteers` helpline volunteers (default 200) clocked in. The SIP proxy's part is played by one HTTP client
sending what Kamailio sends, with the shared secret: for each of `--calls` calls (default 500) the inbound question,
then, `--open` calls later (so that many are ringing or talking at once), the legs that end it: ringing, answered,
completed and the caller's leg completed; one call in four is not answered by the first volunteer (no-answer, the
question again after that leg, then the next volunteer answers). Every leg fact is sent twice (a retransmission):
the first is accepted, the second turned away. Then the same calls through the use cases in-process
(`route()`, `report()`), so the HTTP share is visible.

1. Inbound decision (proxy question → answer) p50/p99/max, the first question and the one after a no-answer; vs a
   bare GET /health round trip on the same server (and the in-process decision alone). Aim: under 20 ms.
2. Leg facts accepted per second (sequential: one proxy connection) and duplicates turned away per second, over
   HTTP and in-process; vs bare saves of one trivial aggregate (a counter's tick) on the same kind of store.
3. Dialog end (the "completed" post sent) → the Call's `hung_up_at` readable at GET /calls/{id}, p50/p99.
4. The Switchboard's read time (snapshot every 50 events) before the calls and after them: it must not grow with
   its history.

Run: `.venv/bin/python -m bench.telephony [--calls 500] [--volunteers 200] [--open 20] [--postgres] [--profile]`
(`--postgres` needs PostgreSQL from deploy/ running; `--profile` prints a cProfile of the in-process run).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx

from bench import scratch_database
from bench.board import quantile
from bench.serving import serve
from services.calls.api.telephony import SECRET_HEADER
from services.calls.application import CallsApplication
from services.calls.domain.phone_call import PhoneCall, phone_call_id
from services.calls.domain.switchboard import SWITCHBOARD_ID, Switchboard
from services.calls.telephony.port import LegReport, LegStatus
from services.identity.domain import SYSTEM, Access, Role
from services.kernel.settings import Settings, TelephonySettings
from services.main import Product, build
from tests.kernel.sample import Counter, sample_app

SECRET = "bench-telephony-secret-0123456789"
SIP = TelephonySettings(mode="sip", number="+390212345678", helpline="helpline", ring_seconds=20, secret=SECRET,
                        hours="ogni giorno 8-20", fallback_uri="sip:message@angeli.invalid")
TARGET_MS = 20.0
UNANSWERED_EVERY = 4  # one call in four: the first volunteer does not answer
STAFF = Access(SYSTEM, "bench: the hang-up as the volunteer's screen reads it")


@dataclass
class Timings:
    """What one run (over HTTP or in-process) measured; latencies and post times in seconds."""

    first: list[float] = field(default_factory=list)  # the first question of a call
    after: list[float] = field(default_factory=list)  # the question after a leg ended unanswered
    accepted: list[float] = field(default_factory=list)  # each leg fact the first time (accepted)
    duplicates: list[float] = field(default_factory=list)  # the same fact again (turned away)
    hang_up: list[float] = field(default_factory=list)  # "completed" sent → hung_up_at readable
    fallbacks: int = 0
    cpu: list[float] = field(default_factory=list)  # in-process: this thread's CPU seconds per decision
    refused: int = 0  # a first post the port turned away, or a repeat it accepted: should stay 0

    def rate(self, times: list[float]) -> float:
        return len(times) / sum(times) if times else float("nan")


class Proxy:
    """The SIP proxy's side of the legs: a sequence counter per leg, each fact sent twice (the second a
    retransmission), the posts timed. `send` tells whether the fact was stored (in-process: report()'s answer);
    over HTTP (204 either way) it answers None and the stored facts are counted in the event store afterwards."""

    def __init__(self, send: Callable[[dict[str, Any]], bool | None], timings: Timings) -> None:
        self.send, self.timings = send, timings
        self.sequence: dict[tuple[str, str], int] = {}

    def leg(self, call_id: str, leg_id: str, status: str, duration: int | None = None) -> float:
        """Send the fact, then the same again; returns the first post's seconds."""
        key = (call_id, leg_id)
        self.sequence[key] = self.sequence.get(key, 0) + 1
        fact = {"call_id": call_id, "leg_id": leg_id, "status": status, "at": time.time(),
                "sequence": self.sequence[key], "direction": "inbound", "duration": duration}
        started = time.perf_counter()
        first = self.send(fact)
        took = time.perf_counter() - started
        started = time.perf_counter()
        again = self.send(fact)
        self.timings.duplicates.append(time.perf_counter() - started)
        self.timings.accepted.append(took)
        self.timings.refused += (first is False) + (again is True)
        return took


class Line:
    """Calls arriving one after another, each ended `open_calls` calls later; `ask` is the routing question."""

    def __init__(self, calls: CallsApplication, ask: Callable[[str, str | None], dict[str, Any]], proxy: Proxy,
                 read_hang_up: Callable[[str], None] | None) -> None:
        self.calls, self.ask, self.proxy, self.read_hang_up = calls, ask, proxy, read_hang_up
        self.timings = proxy.timings

    def run(self, prefix: str, count: int, open_calls: int) -> None:
        ringing: list[tuple[str, str | None, bool]] = []
        for n in range(count):
            call_id = f"{prefix}-{n}"
            started, cpu = time.perf_counter(), time.thread_time()
            answer = self.ask(call_id, None)
            self.timings.first.append(time.perf_counter() - started)
            self.timings.cpu.append(time.thread_time() - cpu)
            ringing.append((call_id, self._target(answer), n % UNANSWERED_EVERY == UNANSWERED_EVERY - 1))
            if len(ringing) > open_calls:
                self.end(*ringing.pop(0))
        for call in ringing:
            self.end(*call)

    def _target(self, answer: dict[str, Any]) -> str | None:
        if answer["action"] != "dial":
            self.timings.fallbacks += 1
            return None
        return str(answer["targets"][0])

    def end(self, call_id: str, volunteer: str | None, unanswered: bool) -> None:
        leg = self.proxy.leg
        if volunteer is None:  # the fallback played its message; the caller hangs up
            leg(call_id, "", "completed")
            return
        leg(call_id, volunteer, "ringing")
        if unanswered:
            leg(call_id, volunteer, "no-answer")
            started, cpu = time.perf_counter(), time.thread_time()
            answer = self.ask(call_id, volunteer)
            self.timings.after.append(time.perf_counter() - started)
            self.timings.cpu.append(time.thread_time() - cpu)
            volunteer = self._target(answer)
            if volunteer is None:
                leg(call_id, "", "completed")
                return
            leg(call_id, volunteer, "ringing")
        leg(call_id, volunteer, "answered")
        answered = self.calls.get(phone_call_id("sip", call_id), PhoneCall).call  # the proxy does not know it
        assert answered is not None, f"{call_id}: answered, but no Call"
        posting = leg(call_id, volunteer, "completed", duration=1)
        if self.read_hang_up is not None:  # the "completed" post's own time, then reading until it shows
            started = time.perf_counter()
            self.read_hang_up(answered)
            self.timings.hang_up.append(posting + time.perf_counter() - started)
        leg(call_id, "", "completed")
        # The volunteer gives the outcome in the wrap-up (the console's part, not timed): as in real use, the
        # switchboard holds only the calls still being wrapped up.
        self.calls.end_call(UUID(answered), "answered", None, None, by=SYSTEM)


def over_http(web: httpx.Client, calls: CallsApplication, args: argparse.Namespace) -> Timings:
    timings = Timings()

    def ask(call_id: str, after: str | None) -> dict[str, Any]:
        response = web.post("/telephony/sip/inbound", json={"call_id": call_id, "line": "helpline",
                                                             "caller": caller_number(call_id), "after_leg": after})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def send(fact: dict[str, Any]) -> None:
        response = web.post("/telephony/sip/legs", json=fact)
        assert response.status_code == 204, response.text  # also for a repeat: the store tells which stored

    def read_hang_up(call: str) -> None:
        for _ in range(1000):
            response = web.get(f"/calls/{call}")
            assert response.status_code == 200, response.text
            if response.json()["hung_up_at"] is not None:
                return
            time.sleep(0.001)
        raise AssertionError(f"call {call} never showed its hang-up")

    head = stored_events(calls)
    Line(calls, ask, Proxy(send, timings), read_hang_up).run("http", args.calls, args.open)
    timings.refused += abs(len(timings.accepted) - facts_stored(calls, head))
    return timings


def facts_stored(calls: CallsApplication, after: int) -> int:
    """Leg facts the calls' event store took after this notification id."""
    topic = f"{PhoneCall.__module__}:{PhoneCall.LegReported.__qualname__}"  # type: ignore[attr-defined]
    count, position = 0, after
    while page := calls.recorder.select_notifications(position + 1, 1000):
        count += sum(n.topic == topic for n in page)
        position = page[-1].id
    return count


def in_process(calls: CallsApplication, args: argparse.Namespace) -> Timings:
    timings = Timings()
    telephony = calls.telephony

    def ask(call_id: str, after: str | None) -> dict[str, Any]:
        decision = telephony.route("sip", call_id, "helpline", caller_number(call_id), after_leg=after)
        return {"action": decision.action, "targets": [t.leg_id for t in decision.targets]}

    def send(fact: dict[str, Any]) -> bool:
        return telephony.report(LegReport(
            provider="sip", call_id=fact["call_id"], leg_id=fact["leg_id"], status=LegStatus(fact["status"]),
            at=datetime.fromtimestamp(fact["at"], UTC), sequence=fact["sequence"], direction="inbound",
            duration=fact["duration"]))

    def read_hang_up(call: str) -> None:
        assert calls.call(UUID(call), STAFF).hung_up_at is not None, f"call {call} shows no hang-up"

    with profiled(args.profile):
        Line(calls, ask, Proxy(send, timings), read_hang_up).run("local", args.calls, args.open)
    return timings


@contextmanager
def profiled(enabled: bool) -> Iterator[None]:
    """cProfile of what runs inside (the in-process use cases), the 30 costliest by cumulative time."""
    if not enabled:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def caller_number(call_id: str) -> str:
    """A Milan landline per call (the caller's number goes to the vault, as a real caller's does)."""
    return f"+39 02 {10_000_000 + zlib.crc32(call_id.encode()) % 89_999_999}"



def health_round_trips(web: httpx.Client, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        assert web.get("/health").status_code in (200, 503)
        times.append(time.perf_counter() - started)
    return times


def bare_saves(settings: Settings, count: int) -> list[float]:
    """One trivial aggregate (a counter) saved once per tick, on its own store of the same kind."""
    app = sample_app(settings)
    counter = Counter("bench")
    app.save(counter)
    times = []
    for tick in range(count):
        counter.tick(tick)
        started = time.perf_counter()
        app.save(counter)
        times.append(time.perf_counter() - started)
    app.close()
    return times


@dataclass
class BoardRead:
    version: int
    snapshot_version: int | None
    snapshot_bytes: int
    read_ms: float  # median of repeated reads
    cpu_ms: float  # their CPU (this thread): the cost without the waits of a busy machine
    busy: int


def board_read(calls: CallsApplication, repeats: int = 100) -> BoardRead:
    """The Switchboard as every decision reads it (latest snapshot, then the events after it), median of reads."""
    times, cpus = [], []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.thread_time()
        board = calls.get(SWITCHBOARD_ID, Switchboard)
        times.append(time.perf_counter() - started)
        cpus.append(time.thread_time() - cpu)
    snapshots = calls.snapshots
    stored = snapshots.recorder.select_events(SWITCHBOARD_ID, desc=True, limit=1) if snapshots is not None else []
    return BoardRead(board.version, stored[0].originator_version if stored else None,
                     len(stored[0].state) if stored else 0, statistics.median(times) * 1000,
                     statistics.median(cpus) * 1000, len(board.busy))


def stored_events(calls: CallsApplication) -> int:
    return calls.recorder.max_notification_id() or 0


@contextmanager
def served_settings(postgres: bool) -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "var"
        if not postgres:
            yield Settings(mode="embedded", data_dir=data_dir, telephony=SIP)
            return
        with scratch_database("angeli_bench_telephony") as database:
            # An API replica: the relays and consumers are other processes, and nothing here needs them.
            yield Settings(mode="distributed", data_dir=data_dir, postgres=database, telephony=SIP,
                           run_feeds=False, run_jobs=False)


def on_duty(calls: CallsApplication, volunteers: int) -> None:
    for n in range(volunteers):
        volunteer = calls.register_volunteer(f"Volontaria {n}", f"+39 333 {1000000 + n}", f"v{n}@example.org",
                                             ["helpline"])
        calls.clock_in(volunteer)


def run(args: argparse.Namespace) -> None:
    with served_settings(args.postgres) as settings:
        product = build(settings)
        server, thread, url = serve(product)
        try:
            measure(product, settings, url, args)
        finally:
            server.should_exit = True
            thread.join(timeout=60)


def measure(product: Product, settings: Settings, url: str, args: argparse.Namespace) -> None:
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication) and product.identity is not None
    store = "PostgreSQL" if args.postgres else "SQLite (embedded)"
    started = time.perf_counter()
    on_duty(calls, args.volunteers)
    print(f"{args.volunteers} helpline volunteers clocked in on {store} in {time.perf_counter() - started:.1f} s",
          flush=True)
    key = product.identity.create_key("bench telephony", Role.COORDINATOR.value, SYSTEM)[1]
    board_before = board_read(calls)
    with httpx.Client(base_url=url, timeout=30, headers={SECRET_HEADER: SECRET, "X-API-Key": key}) as web:
        health_round_trips(web, 20)  # warm: connection, first-request imports
        health = health_round_trips(web, args.baseline)
        head = stored_events(calls)
        started = time.perf_counter()
        http = over_http(web, calls, args)
        http_wall = time.perf_counter() - started
        http_events = stored_events(calls) - head
        print(f"over HTTP: {args.calls} calls in {http_wall:.1f} s", flush=True)
        health_after = health_round_trips(web, args.baseline)
    board_middle = board_read(calls)
    saves = bare_saves(settings, args.baseline * 5)
    head = stored_events(calls)
    started = time.perf_counter()
    local = in_process(calls, args)
    local_wall = time.perf_counter() - started
    local_events = stored_events(calls) - head
    print(f"in-process: {args.calls} calls in {local_wall:.1f} s", flush=True)
    board_after = board_read(calls)
    print_figures(args, store, health + health_after, saves, http, local, http_events, local_events,
                  [("before the calls", board_before), (f"after {args.calls} calls (over HTTP)", board_middle),
                   (f"after {2 * args.calls} calls (and in-process)", board_after)])


def print_figures(args: argparse.Namespace, store: str, health: list[float], saves: list[float], http: Timings,
                  local: Timings, http_events: int, local_events: int, boards: list[tuple[str, BoardRead]]) -> None:
    ms = 1000.0
    health_p50 = quantile(health, 0.5)
    save_p50 = quantile(saves, 0.5)
    print()
    print(f"Telephony port, {store}, {args.volunteers} helpline volunteers on duty, {args.calls} calls per run, "
          f"{args.open} open at once, one in {UNANSWERED_EVERY} not answered by the first volunteer")
    print(f"{'latency':<52}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}   ratio (p50)")
    rows: list[tuple[str, list[float], str]] = [
        ("GET /health round trip (baseline)", health, ""),
        ("inbound decision, HTTP, first question", http.first, f"x{quantile(http.first, .5) / health_p50:.2f} "
                                                                 "of /health"),
        ("inbound decision, HTTP, after a no-answer", http.after, f"x{quantile(http.after, .5) / health_p50:.2f} "
                                                                    "of /health"),
        ("inbound decision, in-process, first question", local.first,
         f"{quantile(local.first, .5) / quantile(http.first, .5):.0%} of the HTTP one"),
        ("inbound decision, in-process, after a no-answer", local.after,
         f"{quantile(local.after, .5) / quantile(http.after, .5):.0%} of the HTTP one"),
        ("  the same decisions' CPU (this thread, no waits)", local.cpu,
         f"{quantile(local.cpu, .5) / quantile(local.first + local.after, .5):.0%} of their wall time"),
        ("dialog end → hung_up_at at GET /calls/{id}", http.hang_up, f"x{quantile(http.hang_up, .5) / health_p50:.2f}"
                                                                     " of /health"),
        ("bare save of one counter tick (baseline)", saves, ""),
        ("leg fact accepted, in-process report()", local.accepted,
         f"x{quantile(local.accepted, .5) / save_p50:.2f} of a bare save"),
    ]
    for name, values, ratio in rows:
        print(f"{name:<52}{len(values):>6}{quantile(values, .5) * ms:>9.2f}{quantile(values, .99) * ms:>9.2f}"
              f"{max(values, default=float('nan')) * ms:>9.2f}   {ratio}")
    worst = max(quantile(http.first, .99), quantile(http.after, .99)) * ms
    print(f"decision p99 over HTTP vs the aim of {TARGET_MS:.0f} ms: {worst:.2f} ms = x{worst / TARGET_MS:.2f} "
          f"({'within' if worst < TARGET_MS else 'OVER'} the aim)")
    print()
    print(f"{'throughput (sequential, one connection)':<52}{'n':>6}{'per s':>10}   ratio")
    throughput = [
        ("GET /health (baseline)", len(health), 1 / statistics.mean(health), ""),
        ("leg facts accepted, HTTP", len(http.accepted), http.rate(http.accepted),
         f"x{http.rate(http.accepted) * statistics.mean(health):.2f} of /health"),
        ("duplicates turned away, HTTP", len(http.duplicates), http.rate(http.duplicates),
         f"x{http.rate(http.duplicates) * statistics.mean(health):.2f} of /health"),
        ("bare saves of one counter tick (baseline)", len(saves), 1 / statistics.mean(saves), ""),
        ("leg facts accepted, in-process report()", len(local.accepted), local.rate(local.accepted),
         f"x{local.rate(local.accepted) * statistics.mean(saves):.2f} of bare saves"),
        ("duplicates turned away, in-process report()", len(local.duplicates), local.rate(local.duplicates),
         f"x{local.rate(local.duplicates) * statistics.mean(saves):.2f} of bare saves"),
    ]
    for name, n, rate, ratio in throughput:
        print(f"{name:<52}{n:>6}{rate:>10.0f}   {ratio}")
    print(f"events stored: {http_events} over HTTP ({http_events / max(1, len(http.accepted)):.1f} per accepted "
          f"fact, the decisions' included), {local_events} in-process; fallbacks {http.fallbacks + local.fallbacks}; "
          f"facts not counted as expected (a first post turned away, a repeat stored): "
          f"{http.refused + local.refused}")
    print()
    print(f"{'Switchboard read':<52}{'version':>8}{'snapshot':>9}{'replayed':>9}{'snapshot B':>11}{'read ms':>9}"
          f"{'CPU ms':>8}   ratio (CPU)")
    first = boards[0][1].cpu_ms
    for name, board in boards:
        snapshot = board.snapshot_version or 0
        print(f"{name:<52}{board.version:>8}{snapshot:>9}{board.version - snapshot:>9}{board.snapshot_bytes:>11}"
              f"{board.read_ms:>9.3f}{board.cpu_ms:>8.3f}   x{board.cpu_ms / first:.2f}")
    (_, middle), (_, last) = boards[-2:]
    print(f"read time with {last.version - middle.version} more events in its history: "
          f"x{last.cpu_ms / middle.cpu_ms:.2f} in CPU, replaying {last.version - (last.snapshot_version or 0)} events "
          f"after its snapshot instead of {middle.version - (middle.snapshot_version or 0)} (at most 49); the snapshot "
          f"grows only with the volunteers ever offered a call: {middle.snapshot_bytes} → {last.snapshot_bytes} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500, help="calls per run (over HTTP, then in-process)")
    parser.add_argument("--volunteers", type=int, default=200, help="helpline volunteers clocked in")
    parser.add_argument("--open", type=int, default=20, help="calls ringing or talking at once")
    parser.add_argument("--baseline", type=int, default=200, help="baseline samples (/health; bare saves x5)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of the embedded SQLite")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process run")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
