"""The relay's reader process on the real PostgreSQL: pages in order, restarts from any position, dies with its
relay, and says so when it cannot read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from services.kernel.feed import EventFeed
from services.kernel.relay_reader import RelayReader, RelayReadError
from services.kernel.settings import Settings
from tests.distributed.stack import settings_env, wait_until
from tests.kernel.sample import Counter, SampleApplication, sample_app
from tests.kernel.test_kafka_relay import (
    read_topic,
    relay_position,
    start_relay,
    wait_for_first_batch,
    write_events,
)

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def counters(app: SampleApplication, how_many: int) -> int:
    app.save(*[Counter(f"Natale {n}") for n in range(how_many)])
    return app.recorder.max_notification_id() or 0


def read_all(reader: RelayReader, after: int) -> list[tuple[int, int, int]]:
    """(after, message count, last) of each page up to the first empty one."""
    pages = []
    while True:
        page = reader.next_page(timeout=30)
        assert page is not None, "the reader sent nothing for 30 s"
        pages.append((page[0], len(page[1]), page[2]))
        if page[2] == page[0]:
            return pages


def test_pages_come_in_order_and_a_new_start_drops_the_pages_of_the_old_one(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    head = counters(app, 25)
    feed = EventFeed("sample", app)
    reader = RelayReader(feed, pg_settings.postgres.conninfo(), limit=10)
    try:
        reader.start(0, idle_wait=0.05)
        assert read_all(reader, 0) == [(0, 10, 10), (10, 10, 20), (20, 5, 25), (25, 0, 25)]

        reader.start(0, idle_wait=0.05)  # the reader is far ahead, sending empty pages: start again at 0
        reader.start(20, idle_wait=0.05)  # and at once somewhere else: only this start's pages arrive
        assert read_all(reader, 20) == [(20, 5, 25), (25, 0, 25)]

        more = counters(app, 3)  # written after the reader caught up: seen at its next look
        assert read_all(reader, 25)[0] == (25, 3, more)
        after, messages, last = reader.next_page(timeout=30) or (0, [], 0)
        assert (after, messages, last) == (more, [], more)
        page_keys = [key for key, _ in feed.encoded(0, limit=head)[0]]
        assert len(set(page_keys)) == head
    finally:
        reader.close()


def test_an_idle_reader_is_woken_by_the_next_commit_not_by_its_poll(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    head = counters(app, 2)
    reader = RelayReader(EventFeed("sample", app), pg_settings.postgres.conninfo(), limit=100)
    try:
        reader.start(0, idle_wait=120)  # it would look again only after two minutes
        assert read_all(reader, 0) == [(0, 2, head), (head, 0, head)]
        more = counters(app, 1)
        page = reader.next_page(timeout=20)  # the commit's notification wakes it long before
        assert page is not None and (page[0], len(page[1]), page[2]) == (head, 1, more)
    finally:
        reader.close()


def test_a_reader_that_died_is_reported_and_replaced_at_the_next_start(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    counters(app, 5)
    reader = RelayReader(EventFeed("sample", app), pg_settings.postgres.conninfo(), limit=100)
    try:
        reader.ready()
        assert reader._process is not None
        reader._process.kill()
        reader._process.wait()
        reader.start(0, idle_wait=0.05)  # a new process
        assert read_all(reader, 0) == [(0, 5, 5), (5, 0, 5)]
        assert reader._process is not None
        os.kill(reader._process.pid, signal.SIGKILL)
        with pytest.raises(RelayReadError, match="relay reader of sample stopped"):
            for _ in range(100):
                reader.next_page(timeout=0.1)
    finally:
        reader.close()


def test_a_reader_that_cannot_connect_says_why(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    reader = RelayReader(EventFeed("sample", app), pg_settings.postgres.conninfo() + " dbname=angeli_nowhere",
                         limit=100)
    with pytest.raises(RelayReadError, match="did not start"):
        reader.ready(timeout=10)


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(child) for child in found]


def test_the_reader_stops_when_its_relay_is_killed(pg_settings: Settings) -> None:
    counters(sample_app(pg_settings), 5)
    relay = subprocess.Popen([sys.executable, "-m", "tests.kernel.sample"], cwd=ROOT,
                             env=settings_env(pg_settings, BATCH="100"))
    try:
        wait_until(lambda: len(children(relay.pid)) == 1, 60, "the relay to start its reader")
        reader_pid = children(relay.pid)[0]
    finally:
        relay.send_signal(signal.SIGKILL)
        relay.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and os.path.exists(f"/proc/{reader_pid}"):
        state = Path(f"/proc/{reader_pid}/stat").read_text().split(")")[1].split()[0]
        if state == "Z":  # exited; only its parent (now init) has yet to collect it
            break
        time.sleep(0.05)
    else:
        assert not os.path.exists(f"/proc/{reader_pid}"), "the reader outlived its relay"


@pytest.mark.kafka
def test_a_killed_reader_is_replaced_and_its_relay_delivers_every_event(pg_settings: Settings) -> None:
    head = write_events(pg_settings)
    relay = start_relay(pg_settings, batch=250)
    try:
        wait_for_first_batch(pg_settings, timeout=60)
        readers = children(relay.pid)
        assert len(readers) == 1
        os.kill(readers[0], signal.SIGKILL)  # as soon as the first batch is confirmed: usually mid-stream
        wait_until(lambda: relay_position(pg_settings) == head, 90, "the relay to catch up with a new reader")
        assert relay.poll() is None, "the relay itself kept running"
        assert children(relay.pid) not in ([], readers)
    finally:
        relay.terminate()
        relay.wait(timeout=30)
    on_topic = read_topic(pg_settings, expected=head)
    assert {(m.aggregate_id, m.aggregate_version) for m in on_topic} == {
        (m.aggregate_id, m.aggregate_version) for m in EventFeed("sample", sample_app(pg_settings)).messages()}
