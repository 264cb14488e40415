"""Projection lag under sustained call traffic: save → call-statistics row, p50/p99.

Calls are started and ended (two events each) at a steady rate, 200 events/s by default, for ~30 s,
into the started product: the embedded default (SQLite, in-process follower thread) and the
distributed one (PostgreSQL event store, relay → Kafka → consumer → PostgreSQL read model, all
started in-process by `Product.start()`). A poller watches the call-statistics read model and notes
when each ended call's row shows up; the lag is that moment minus the return of the `end` save.

Run: `.venv/bin/python -m bench.projection_lag [--mode embedded|distributed|both] [--seconds 30] [--rate 200]`
(distributed needs PostgreSQL and Kafka from deploy/ running).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from bench import scratch_database, scratch_topics
from services.calls.application import CallsApplication
from services.identity.domain import SYSTEM
from services.kernel.settings import Settings
from services.main import Product, build
from services.projections import call_stats
from tests.conftest import kafka_bootstrap

VOLUNTEERS = 20


@dataclass
class Result:
    mode: str
    target_rate: float
    achieved_rate: float
    calls: int
    seen: int
    lags: list[float]

    def quantile(self, q: float) -> float:
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(product: Product, mode: str, seconds: float, rate: float) -> Result:
    calls = product.services["calls"].application
    assert isinstance(calls, CallsApplication)
    volunteers = [calls.register_volunteer(f"Volontario {n}", "+39 02 1234 5678", f"v{n}@example.org",
                                           ["helpline"]) for n in range(VOLUNTEERS)]
    for volunteer in volunteers:
        calls.clock_in(volunteer)
    saved: dict[str, float] = {}
    lags: list[float] = []
    lock = threading.Lock()
    done = threading.Event()
    poller = threading.Thread(target=poll, args=(product, saved, lags, lock, done), daemon=True)
    poller.start()
    achieved, count = drive(calls, volunteers, seconds, rate, saved, lock)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            if len(lags) >= count:
                break
        time.sleep(0.05)
    done.set()
    poller.join()
    return Result(mode, rate, achieved, count, len(lags), lags)


def drive(calls: CallsApplication, volunteers: list[UUID], seconds: float, rate: float,
          saved: dict[str, float], lock: threading.Lock) -> tuple[float, int]:
    """Start and end calls on schedule (two events per call); returns events/s achieved and calls made."""
    interval = 2 / rate
    started = time.monotonic()
    count = 0
    while time.monotonic() - started < seconds:
        next_at = started + count * interval
        time.sleep(max(0.0, next_at - time.monotonic()))
        call = calls.start_call(volunteers[count % len(volunteers)], "inbound", None, None)
        calls.end_call(call, "abandoned", None, None, by=SYSTEM)
        with lock:
            saved[str(call)] = time.monotonic()
        count += 1
    return 2 * count / (time.monotonic() - started), count


def poll(product: Product, saved: dict[str, float], lags: list[float], lock: threading.Lock,
         done: threading.Event) -> None:
    store = product.read_stores["call_stats"]
    while not done.is_set():
        with lock:
            pending = list(saved)
        for start in range(0, len(pending), 500):
            seen = call_stats.ended(store, pending[start:start + 500])
            now = time.monotonic()
            with lock:
                for call_id in seen:
                    lags.append(now - saved.pop(call_id))
        time.sleep(0.005)


def embedded(seconds: float, rate: float) -> Result:
    with tempfile.TemporaryDirectory() as data_dir:
        product = build(Settings(mode="embedded", data_dir=Path(data_dir), run_jobs=False))
        product.start()
        try:
            return run(product, "embedded (SQLite, in-process follower)", seconds, rate)
        finally:
            product.stop()


def distributed(seconds: float, rate: float) -> Result:
    with scratch_database("angeli_lag") as postgres, scratch_topics("lag") as prefix, \
            tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(mode="distributed", data_dir=Path(data_dir), postgres=postgres, topic_prefix=prefix,
                            kafka_partitions=6, run_jobs=False, kafka_bootstrap=kafka_bootstrap())
        product = build(settings)
        product.start()
        try:
            return run(product, "distributed (PostgreSQL + Kafka)", seconds, rate)
        finally:
            product.stop()


def report(result: Result, baseline: Result | None) -> None:
    p50, p99 = result.quantile(0.50) * 1000, result.quantile(0.99) * 1000
    print(f"{result.mode}: {result.achieved_rate:.0f} events/s achieved of {result.target_rate:.0f} target "
          f"({result.achieved_rate / result.target_rate:.2f}x), {result.calls} calls, {result.seen} rows seen; "
          f"lag p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(result.lags, default=0) * 1000:.1f} ms")
    if baseline is not None and baseline.lags:
        print(f"  vs embedded: p50 {result.quantile(0.5) / baseline.quantile(0.5):.1f}x, "
              f"p99 {result.quantile(0.99) / baseline.quantile(0.99):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("embedded", "distributed", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0, help="call events per second (start + end)")
    args = parser.parse_args()
    baseline = None
    if args.mode in ("embedded", "both"):
        baseline = embedded(args.seconds, args.rate)
        report(baseline, None)
    if args.mode in ("distributed", "both"):
        report(distributed(args.seconds, args.rate), baseline)


if __name__ == "__main__":
    main()
