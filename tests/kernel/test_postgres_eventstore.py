"""The event store on the real PostgreSQL: save, reload, conflicts, and a follower that misses nothing."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time

import psycopg
import pytest
from eventsourcing.persistence import Tracking

from services.kernel.errors import ConcurrencyConflict
from services.kernel.eventstore import EventRecorder
from services.kernel.feed import EventFeed
from services.kernel.settings import Settings
from tests.kernel.sample import Counter, SampleApplication, follow_until_told, sample_app

pytestmark = pytest.mark.postgres


def test_saved_aggregate_reloads_with_its_state(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    counter = Counter("Natale 2026")
    counter.tick(3)
    app.save(counter)
    again = sample_app(pg_settings).get(counter.id, Counter)
    assert (again.label, again.ticks, again.version) == ("Natale 2026", 3, 2)


def test_concurrent_change_to_the_same_aggregate_is_a_clear_conflict(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    counter = Counter("Giulia")
    app.save(counter)
    first, second = app.get(counter.id, Counter), app.get(counter.id, Counter)
    first.tick(1)
    app.save(first)
    second.tick(2)
    with pytest.raises(ConcurrencyConflict, match="retry"):
        app.save(second)
    assert app.get(counter.id, Counter).ticks == 1


def test_follower_misses_no_event_while_four_writers_save(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    writers, per_writer = 4, 150
    written: list[tuple[str, int]] = []
    lock = threading.Lock()

    def write(label: str) -> None:
        mine = sample_app(pg_settings)
        for i in range(per_writer):
            counter = Counter(f"{label}-{i}")
            counter.tick(1)
            mine.save(counter)
            with lock:
                written.extend([(str(counter.id), 1), (str(counter.id), 2)])

    threads = [threading.Thread(target=write, args=(f"w{n}",)) for n in range(writers)]
    for thread in threads:
        thread.start()
    feed, seen, position = EventFeed("sample", app), [], 0
    while any(t.is_alive() for t in threads) or position < feed.head():
        messages, position = feed.read(position, limit=50)
        seen.extend(messages)
    for thread in threads:
        thread.join()
    messages, position = feed.read(position)
    seen.extend(messages)
    positions = [m.position for m in seen]
    assert positions == sorted(set(positions))
    assert sorted((m.aggregate_id, m.aggregate_version) for m in seen) == sorted(written)
    assert len(seen) == writers * per_writer * 2


def test_followers_in_two_processes_miss_and_double_nothing_beside_sixteen_writers_that_roll_back(
        pg_settings: Settings) -> None:
    """Writers of different aggregates commit side by side (no table lock): some hold their transaction open a
    while after taking their ids, some roll back after taking them, some lose a conflict. Two followers in
    processes of their own read the log meanwhile; each reads every committed event exactly once, in order."""
    sample_app(pg_settings)  # the tables, before anyone reads them
    writers, per_writer = 16, 40
    committed: list[tuple[str, int]] = []
    lock = threading.Lock()

    def slow_transaction(app: SampleApplication, counter: Counter, commit: bool, rng: random.Random) -> None:
        stored = [app.mapper.to_stored_event(e) for e in counter.collect_events()]
        recorder = app.recorder
        assert isinstance(recorder, EventRecorder)
        with recorder.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as cursor:
                recorder._insert_stored_events(cursor, stored)  # the announcement, then the ids
            time.sleep(rng.uniform(0.0, 0.015))  # ids taken, not yet committed: later ids commit meanwhile
            if not commit:
                raise psycopg.Rollback()

    def write(n: int) -> None:
        app, rng = sample_app(pg_settings), random.Random(n)
        for i in range(per_writer):
            counter = Counter(f"w{n}-{i}")
            counter.tick(1)
            roll = rng.random()
            if roll < 0.15:
                slow_transaction(app, counter, commit=False, rng=rng)
                continue
            if roll < 0.30:
                app.save(counter)
                stale = app.get(counter.id, Counter)
                counter.tick(2)
                app.save(counter)
                stale.tick(3)
                with pytest.raises(ConcurrencyConflict):
                    app.save(stale)  # ids taken by the INSERT, then its conflict rolls it back
                events = [(str(counter.id), 1), (str(counter.id), 2), (str(counter.id), 3)]
            elif roll < 0.55:
                slow_transaction(app, counter, commit=True, rng=rng)
                events = [(str(counter.id), 1), (str(counter.id), 2)]
            else:
                app.save(counter)
                events = [(str(counter.id), 1), (str(counter.id), 2)]
            with lock:
                committed.extend(events)

    context = multiprocessing.get_context("spawn")
    done, out = context.Event(), context.Queue()
    readers = [context.Process(target=follow_until_told, args=(pg_settings, done, out)) for _ in range(2)]
    for reader in readers:
        reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    seen = [out.get(timeout=120) for _ in readers]
    for reader in readers:
        reader.join(timeout=30)
    assert len(committed) > writers * per_writer
    for read in seen:
        positions = [position for position, _, _ in read]
        assert positions == sorted(set(positions)), "a follower read a position twice or out of order"
        assert sorted((aggregate, version) for _, aggregate, version in read) == sorted(committed)


def test_type_filter_in_the_database_reads_what_the_python_filter_reads(pg_settings: Settings) -> None:
    app = sample_app(pg_settings)
    for n in range(30):
        counter = Counter(f"Natale {n}")
        for tick in range(n % 4):
            counter.tick(tick)
        app.save(counter)
    feed, head = EventFeed("sample", app), EventFeed("sample", app).head()
    every = [m for m in feed.messages() if m.position <= head - 5]
    ticked = [m for m in every if m.type == "Counter.Ticked"]

    pages = list(feed.pages(0, head - 5, ["Counter.Ticked"], limit=7))

    assert [m for page in pages for m in page] == ticked
    assert all(len(page) <= 7 for page in pages)
    # a short page means "no more of these types up to stop": the position read up to is stop itself
    short, position = feed.read(0, limit=1000, types=["Counter.Ticked"], stop=head - 5)
    assert (short, position) == (ticked, head - 5)


def test_exclusive_sections_on_one_aggregate_take_turns_across_connections(pg_settings: Settings) -> None:
    hot, other = Counter("Fondo famiglie"), Counter("Emergenza freddo")
    inside: list[str] = []
    overlaps: list[tuple[str, str]] = []
    lock = threading.Lock()

    def credit(name: str, aggregate: Counter) -> None:
        app = sample_app(pg_settings)  # its own connections, as another API process would have
        with app.exclusive({aggregate.id}):
            with lock:
                overlaps.extend((name, other_name) for other_name in inside)
                inside.append(name)
            threading.Event().wait(0.2)
            with lock:
                inside.remove(name)

    threads = [threading.Thread(target=credit, args=(f"hot-{n}", hot)) for n in range(3)]
    threads.append(threading.Thread(target=credit, args=("other", other)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the three on the hot aggregate never overlapped one another; the other one did not wait for them
    assert not [pair for pair in overlaps if pair[0].startswith("hot") and pair[1].startswith("hot")]
    assert any("other" in pair for pair in overlaps)


def test_a_save_of_many_events_stores_them_in_order_with_the_ids_it_returns(pg_settings: Settings) -> None:
    """The kernel's recorder sends typed arrays instead of the library's composite values: same rows, same
    order, the notification ids of the save returned, a tracking record stored with them."""
    app = sample_app(pg_settings)
    assert isinstance(app.recorder, EventRecorder)
    counters = [Counter(f"Natale {n}") for n in range(300)]
    for counter in counters:
        counter.note({"città": "Milano", "quote": 'say "ciao"\\n'}, ["sms"])
    recordings = app.save(*counters)

    ids = [r.notification.id for r in recordings]
    assert ids == sorted(ids) and len(set(ids)) == 600
    stored = app.recorder.select_notifications(start=None, limit=1000)
    assert [n.id for n in stored] == ids
    assert [(n.originator_id, n.originator_version) for n in stored] == [
        (r.domain_event.originator_id, r.domain_event.originator_version) for r in recordings]
    reloaded = app.repository.get(counters[7].id)
    assert reloaded.details == {"città": "Milano", "quote": 'say "ciao"\\n'}

    app.save_tracked(Counter("Epifania"), tracking=Tracking("calls", 41))
    assert app.tracked_position("calls") == 41


def test_read_many_reads_in_bulk_and_shows_another_process_change(pg_settings: Settings) -> None:
    here, there = sample_app(pg_settings), sample_app(pg_settings)
    counters = [Counter(f"Natale {n}") for n in range(3)]
    there.save(*counters)
    ids = [c.id for c in reversed(counters)]
    assert [c.label for c in here.read_many(ids, Counter)] == ["Natale 2", "Natale 1", "Natale 0"]
    changed = there.get(counters[1].id, Counter)
    changed.tick(4)
    there.save(changed)
    assert [c.ticks for c in here.read_many(ids, Counter)] == [0, 4, 0]


def test_a_replay_up_to_a_burned_id_ends_at_once_without_waiting_for_the_horizon(
        pg_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given two events saved, the ids a conflicting save took burned, and two events saved after
    app = sample_app(pg_settings)
    counter = Counter("a")
    app.save(counter)
    stale = app.get(counter.id, Counter)
    counter.tick(1)
    app.save(counter)
    stale.tick(2)
    stale.tick(3)
    with pytest.raises(ConcurrencyConflict):
        app.save(stale)
    later = Counter("b")
    later.tick(1)
    burned = app.save(later)[0].notification.id - 1
    assert burned > 2
    # When a replay reads up to the last burned id (nothing committed after 2 up to it, events committed beyond)
    monkeypatch.setattr("services.kernel.feed.time.sleep", lambda seconds: pytest.fail("the replay waited"))
    pages = list(EventFeed("sample", app).pages(0, burned))
    # Then it ends after the two events, without waiting for writers in flight (there are none)
    assert [m.aggregate_version for page in pages for m in page] == [1, 2]
