"""Distributed-mode figures on the real PostgreSQL and Kafka, each as a ratio to its physical baseline.

1. API writes vs plain INSERTs into an equivalent table: one pledge per request from 16 clients, as a ratio to
   durable single-row INSERTs from as many clients at once (each its own autocommit transaction) and to batched
   ones; and bulk imports of 1,000-gift exports (POST /donations/import) from several clients, both against two
   API replicas.
2. Relay throughput vs a bare confluent-kafka producer sending the same messages to the same broker.
3. End-to-end lag (API accept → read-model row) p50/p99 at 50% of the measured API maximum.

Run: `.venv/bin/python -m bench.distributed` (PostgreSQL and Kafka from deploy/ must be running).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import httpx
import psycopg
from confluent_kafka import Producer

from bench import scratch_database, scratch_topics
from services.kernel.feed import EventFeed
from services.kernel.kafka import ensure_topics
from services.kernel.relay import Relay
from services.kernel.settings import Settings
from services.main import build
from tests.conftest import kafka_bootstrap
from tests.distributed.stack import Stack
from tests.kernel.sample import Counter, sample_app

_R = TypeVar("_R")


@contextmanager
def scratch_settings() -> Iterator[Settings]:
    """Distributed settings on a database and topics of their own, with a data folder (and process logs, in
    its parent) that go afterwards."""
    with tempfile.TemporaryDirectory() as tmp, scratch_database() as postgres, scratch_topics("bench") as prefix:
        yield Settings(mode="distributed", data_dir=Path(tmp) / "var", postgres=postgres,
                       topic_prefix=prefix, kafka_partitions=6, kafka_bootstrap=kafka_bootstrap())


def scratch_stack(settings: Settings) -> Stack:
    return Stack(settings, settings.data_dir.parent / "logs")


def batched_inserts(settings: Settings, rows: int) -> float:
    """Rows/s for 100-row transactions into a table shaped like the event store's."""
    with psycopg.connect(settings.postgres.conninfo()) as conn:
        conn.execute("CREATE TABLE bench_events (originator_id uuid, originator_version int, topic text, "
                     "state bytea, PRIMARY KEY (originator_id, originator_version))")
        conn.commit()
        payload = b'{"donor_id":"x","fund_id":"y","amount":"25.00","kind":"money"}'
        started = time.perf_counter()
        for _ in range(rows // 100):
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO bench_events VALUES (%s, 1, 'Pledge.Made', %s)",
                    [(uuid.uuid4(), payload) for _ in range(100)])
            conn.commit()
        return rows / (time.perf_counter() - started)


def concurrent_inserts(settings: Settings, clients: int, seconds: float) -> float:
    """Rows/s for single-row INSERTs, each its own durable transaction, from `clients` connections at once into a
    table shaped like the event store's (with its notification-id sequence and index): what the database gives
    `clients` writers that never wait for each other."""
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_single (originator_id uuid, originator_version int, topic text, "
                     "state bytea, notification_id bigserial UNIQUE, PRIMARY KEY (originator_id, originator_version))")
    payload = b'{"donor_id":"x","fund_id":"y","amount":"25.00","kind":"money"}'
    deadline = time.monotonic() + seconds
    counts = [0] * clients

    def work(n: int) -> None:
        with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
            while time.monotonic() < deadline:
                conn.execute("INSERT INTO bench_single (originator_id, originator_version, topic, state) "
                             "VALUES (%s, 1, 'Pledge.Made', %s)", (uuid.uuid4(), payload), prepare=True)
                counts[n] += 1

    elapsed = run_workers(clients, work)
    return sum(counts) / elapsed


def post_pledges(clients: list[httpx.Client], seconds: float, workers: int, rate: float | None,
                 donor: str, fund: str, accepted: dict[str, float]) -> float:
    """Post pledges for `seconds` from `workers` threads (optionally paced to `rate`/s); returns events/s."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    interval = workers / rate if rate else 0.0

    def work(n: int) -> None:
        client = clients[n % len(clients)]
        next_at = time.monotonic()
        while time.monotonic() < deadline:
            if interval:
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))
            response = client.post("/pledges", json={"donor_id": donor, "fund_id": fund, "amount": "25.00"})
            if response.status_code == 201:
                with lock:
                    accepted[response.json()["id"]] = time.monotonic()

    elapsed = run_workers(workers, work)  # before counting: the workers fill `accepted`
    return len(accepted) / elapsed


def run_workers(workers: int, work: Callable[[int], None]) -> float:
    """Run `work(n)` in `workers` threads at once; returns the seconds until the last one finished."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started


def gift_export(fund: str, client: int, file: int, rows: int) -> bytes:
    """A PayPal-like export: new donors, one-off gifts, unique references."""
    lines = ["donor_name,donor_email,fund_id,amount,method,reference,received_at"]
    lines += [f"Donatore {client}-{file}-{n},d{client}x{file}x{n}@example.org,{fund},25.00,paypal,"
              f"PAYID-{client}-{file}-{n}-{uuid.uuid4().hex[:6]},2026-11-20T09:30:00+01:00" for n in range(rows)]
    return "\n".join(lines).encode()


def donation_events(settings: Settings, after: int | None = None) -> int:
    """The donations event store's last notification id, or (with `after`) how many events were stored after it:
    ids have gaps where a conflicting save rolled back, so the count is read, not subtracted."""
    table = '"donations"."donations_events"'
    with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
        if after is None:
            row = conn.execute(f"SELECT COALESCE(max(notification_id), 0) FROM {table}").fetchone()
        else:
            row = conn.execute(f"SELECT count(*) FROM {table} WHERE notification_id > %s", (after,)).fetchone()
    assert row is not None
    return int(row[0])


def import_gifts(clients: list[httpx.Client], settings: Settings, seconds: float, workers: int, rows: int,
                 funds: list[str]) -> tuple[float, int, int]:
    """Upload `rows`-gift exports for `seconds` from `workers` threads, spread over the replicas and `funds`;
    returns (events/s counted in the event store, files, gifts imported)."""
    deadline = time.monotonic() + seconds
    done = {"files": 0, "gifts": 0}
    lock = threading.Lock()

    def work(n: int) -> None:
        client, file = clients[n % len(clients)], 0
        while time.monotonic() < deadline:
            body = gift_export(funds[n % len(funds)], n, file, rows)
            answer = client.post("/donations/import", files={"file": ("paypal.csv", body, "text/csv")}, timeout=120)
            assert answer.status_code == 201, answer.text
            with lock:
                done["files"] += 1
                done["gifts"] += answer.json()["imported"]
            file += 1

    head = donation_events(settings)
    elapsed = run_workers(workers, work)
    return donation_events(settings, after=head) / elapsed, done["files"], done["gifts"]


def counter_feed(settings: Settings, events: int) -> EventFeed:
    """The smallest events there are: counters created and ticked (one small value each)."""
    app = sample_app(settings)
    counters = [Counter(f"c{n}") for n in range(events // 10)]
    for tick in range(1, 10):
        for counter in counters:
            counter.tick(tick)
    for start in range(0, len(counters), 100):
        app.save(*counters[start:start + 100])
    return EventFeed("sample", app)


def gift_feed(settings: Settings, events: int) -> EventFeed:
    """Real donation events, as bulk imports store them: donors, pledges made and paid, reference claims and
    fund credits (ids, amounts, timestamps: the values messages must convert)."""
    product = build(replace(settings, run_feeds=False, run_jobs=False))
    app = product.services["donations"].application
    fund = str(app.create_fund("Fondo famiglie"))
    file = 0
    while (app.recorder.max_notification_id() or 0) < events:
        app.import_gifts(io.BytesIO(gift_export(fund, 0, file, 1000)))
        file += 1
    return EventFeed("donations", app)


def relay_vs_bare_producer(settings: Settings, feed: EventFeed, repeats: int) -> tuple[list[float], list[float]]:
    """Events/s of the relay (event table → Kafka, delivery confirmed, position stored) and msgs/s of a bare
    producer sending the same messages from memory, in alternate runs, each into a topic of its own created
    beforehand; the relay's reader process is started before the clock starts, as a leader starts it once."""
    messages: list[tuple[bytes, bytes]] = []
    position = 0
    while True:
        page, last = feed.encoded(position, limit=5000)
        if last == position:
            break
        messages.extend(page)
        position = last
    relay_rates, bare_rates = [], []
    for run in range(repeats):
        run_settings = replace(settings, topic_prefix=f"{settings.topic_prefix}-{run}")
        relay = Relay(run_settings, feed, batch_size=5000)
        with psycopg.connect(settings.postgres.conninfo(), autocommit=True) as conn:
            conn.execute(f'DELETE FROM "{feed.source}".relay_position')
        relay.acquire(threading.Event())
        started = time.perf_counter()
        relay.drain(threading.Event(), until_caught_up=True)
        relay_rates.append(len(messages) / (time.perf_counter() - started))
        relay.close()
        ensure_topics(run_settings, ["bare"])
        producer = Producer({"bootstrap.servers": settings.kafka_bootstrap, "enable.idempotence": True,
                             "acks": "all", "linger.ms": 5, "batch.num.messages": 10000, "compression.type": "lz4"})
        topic = run_settings.topic("bare")
        for partition in range(settings.kafka_partitions):  # warm, as the relay is: producer id, metadata
            producer.produce(topic, b"{}", partition=partition)
        producer.flush(30)
        started = time.perf_counter()
        for key, value in messages:
            while True:
                try:
                    producer.produce(topic, key=key, value=value)
                    break
                except BufferError:
                    producer.poll(0.1)
        producer.flush(60)
        bare_rates.append(len(messages) / (time.perf_counter() - started))
    return relay_rates, bare_rates


def print_relay(relay_rates: list[float], bare_rates: list[float]) -> None:
    for relay, bare in zip(relay_rates, bare_rates, strict=True):
        print(f"  run: relay {relay:9.0f} events/s, bare {bare:9.0f} msgs/s = {relay / bare:6.1%}")
    relay, bare = statistics.median(relay_rates), statistics.median(bare_rates)
    print(f"bare producer (median)           {bare:9.0f} msgs/s")
    print(f"relay (PG log → Kafka, median)   {relay:9.0f} events/s  = {relay / bare:6.1%} of bare")


class RowWatcher:
    """Notes when each pledge's row first appears in the transparency read model, polling every 5 ms
    WHILE the load runs (rows already there when it starts are ignored)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self._conn = psycopg.connect(settings.postgres.conninfo(), autocommit=True)
        self._known = {r[0] for r in self._conn.execute("SELECT pledge_id FROM projection_transparency.tp_pledges")}
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self.stop.is_set():
            rows = self._conn.execute("SELECT pledge_id FROM projection_transparency.tp_pledges").fetchall()
            now = time.monotonic()
            for (pledge_id,) in rows:
                if pledge_id not in self._known:
                    self.seen.setdefault(str(pledge_id), now)
            time.sleep(0.005)

    def lags(self, accepted: dict[str, float], timeout: float) -> list[float]:
        deadline = time.monotonic() + timeout
        while any(p not in self.seen for p in accepted) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.stop.set()
        self._thread.join()
        self._conn.close()
        return [self.seen[p] - at for p, at in accepted.items() if p in self.seen]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--relay-events", type=int, default=200_000)
    parser.add_argument("--relay-repeats", type=int, default=3, help="alternate relay and bare runs")
    parser.add_argument("--relay-only", action="store_true", help="only the relay figure (iterating)")
    parser.add_argument("--relay-gifts", action="store_true", help="relay donation events from bulk imports "
                        "instead of counters (with --relay-only)")
    parser.add_argument("--import-workers", type=int, default=4)
    parser.add_argument("--import-rows", type=int, default=1_000, help="gifts per uploaded export")
    parser.add_argument("--import-funds", type=int, default=1, help="funds the exports credit (1: all one fund)")
    parser.add_argument("--import-only", action="store_true", help="only the bulk-import figure (iterating)")
    parser.add_argument("--pledges-only", action="store_true", help="only the one-pledge-per-request figure")
    args = parser.parse_args()
    if args.pledges_only:
        pledges_only(args)
        return
    if args.import_only:
        import_only(args)
        return
    if args.relay_only:
        with scratch_settings() as settings:
            feed = (gift_feed if args.relay_gifts else counter_feed)(settings, args.relay_events)
            print_relay(*relay_vs_bare_producer(settings, feed, args.relay_repeats))
        return
    with scratch_settings() as settings:
        stack = scratch_stack(settings)
        try:
            inserts = batched_inserts(settings, 20_000)
            single = concurrent_inserts(settings, args.workers, min(args.seconds, 10))
            relay_rates, bare_rates = relay_vs_bare_producer(settings, counter_feed(settings, args.relay_events),
                                                             args.relay_repeats)
            clients = [stack.start_api("api-1"), stack.start_api("api-2")]  # signed in as an operator
            donor = clients[0].post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
            fund = clients[0].post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
            api_rate = post_pledges(clients, args.seconds, args.workers, None, donor, fund, {})
            stack.start("relay", "relay")
            stack.start("consume", "consume", "transparency")
            time.sleep(15)  # the first phase's backlog is relayed and applied before lag is measured
            accepted: dict[str, float] = {}
            watcher = RowWatcher(settings)
            paced = post_pledges(clients, args.seconds, args.workers, api_rate * 0.5, donor, fund, accepted)
            lags = sorted(watcher.lags(accepted, timeout=120))
            stack.kill("relay", signal.SIGTERM)  # the bulk phase runs as the per-request one did: APIs only
            stack.kill("consume", signal.SIGTERM)
            bulk = bulk_import(clients, settings, args)
        finally:
            stack.stop()
    print(f"batched INSERTs (100/txn)        {inserts:9.0f} rows/s")
    print_pledges(api_rate, single, inserts, args)
    print_bulk(*bulk, inserts, args)
    print_relay(relay_rates, bare_rates)
    if lags:
        p50 = statistics.median(lags)
        p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
        print(f"end-to-end lag at {paced:.0f}/s (50% of max): p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
              f"({len(lags)}/{len(accepted)} rows seen)")


def print_pledges(rate: float, single: float, batched: float, args: argparse.Namespace) -> None:
    print(f"single-row INSERTs ({args.workers} clients)  {single:9.0f} rows/s")
    print(f"API writes (pledges, 2 replicas) {rate:9.0f} pledges/s = {rate / single:6.1%} of {args.workers} clients' "
          f"single-row INSERTs, {rate / batched:6.1%} of batched INSERTs")


def pledges_only(args: argparse.Namespace) -> None:
    def measure(settings: Settings, clients: list[httpx.Client], apis: list[int]) -> tuple[float, float, str]:
        single = concurrent_inserts(settings, args.workers, min(args.seconds, 10))
        donor = clients[0].post("/donors", json={"kind": "person", "name": "Giulia Rossi"}).json()["id"]
        fund = clients[0].post("/funds", json={"name": "Fondo famiglie"}).json()["id"]
        post_pledges(clients, 3, args.workers, None, donor, fund, {})  # warm both processes
        accepted: dict[str, float] = {}
        before = cpu_split(apis)
        rate = post_pledges(clients, args.seconds, args.workers, None, donor, fund, accepted)
        spent = [(after - earlier) * 1000 / max(1, len(accepted)) for after, earlier in zip(cpu_split(apis), before,
                                                                                             strict=True)]
        cores = os.cpu_count() or 1
        return rate, single, (f"CPU per pledge (ms): API processes {spent[0]:.2f}, PostgreSQL {spent[1]:.2f}, "
                              f"this load generator {spent[2]:.2f}; {sum(spent):.2f} of the machine's {cores} cores, "
                              f"a ceiling of {cores * 1000 / sum(spent):.0f}/s")

    inserts, (rate, single, split) = beside_two_apis(measure)
    print(f"batched INSERTs (100/txn)        {inserts:9.0f} rows/s")
    print_pledges(rate, single, inserts, args)
    print(split)


def cpu_split(apis: list[int]) -> tuple[float, float, float]:
    """CPU seconds (user and system) used so far by the API processes, by PostgreSQL's processes and by this one."""
    postgres = [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _command(int(pid)) == "postgres"]
    own = os.times()
    return _cpu(apis), _cpu(postgres), own.user + own.system


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:  # gone meanwhile
        return ""


def _cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime and stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def beside_two_apis(measure: Callable[[Settings, list[httpx.Client], list[int]], _R]) -> tuple[float, _R]:
    """Batched INSERTs/s on a scratch database, then `measure` against two API replicas on it (given their pids)."""
    with scratch_settings() as settings:
        stack = scratch_stack(settings)
        try:
            inserts = batched_inserts(settings, 20_000)
            clients = [stack.start_api("api-1"), stack.start_api("api-2")]
            return inserts, measure(settings, clients, [process.pid for process in stack.processes.values()])
        finally:
            stack.stop()


def bulk_import(clients: list[httpx.Client], settings: Settings, args: argparse.Namespace) -> tuple[float, int, int]:
    """The bulk figure: exports to `--import-funds` new funds, posted for `--seconds` (events/s, files, gifts)."""
    funds = [clients[0].post("/funds", json={"name": f"Fondo {n}"}).json()["id"] for n in range(args.import_funds)]
    return import_gifts(clients, settings, args.seconds, args.import_workers, args.import_rows, funds)


def print_bulk(rate: float, files: int, gifts: int, inserts: float, args: argparse.Namespace) -> None:
    print(f"API writes, bulk import          {rate:9.0f} events/s  = {rate / inserts:6.1%} of batched INSERTs "
          f"({files} files x {args.import_rows} gifts, {gifts} imported, {args.import_workers} clients, "
          f"{args.import_funds} fund(s))")


def import_only(args: argparse.Namespace) -> None:
    inserts, bulk = beside_two_apis(lambda settings, clients, _apis: bulk_import(clients, settings, args))
    print(f"batched INSERTs (100/txn)        {inserts:9.0f} rows/s")
    print_bulk(*bulk, inserts, args)


if __name__ == "__main__":
    main()
