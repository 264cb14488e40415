"""Aggregates read in bulk for queries (SQLite here; PostgreSQL in test_postgres_eventstore): current as stored,
shared only while unchanged, the cache bounded."""

from __future__ import annotations

from services.kernel.bulkread import ReadCache, events_of, versions_of
from services.kernel.settings import Settings
from tests.kernel.sample import Counter, sample_app


def test_a_changed_aggregate_is_read_again_and_an_unchanged_one_is_shared(embedded_settings: Settings) -> None:
    app = sample_app(embedded_settings)
    natale, pasqua = Counter("Natale 2026"), Counter("Pasqua 2027")
    app.save(natale, pasqua)
    before = app.read_many([natale.id, pasqua.id], Counter)
    changed = app.get(natale.id, Counter)
    changed.tick(7)
    app.save(changed)
    after = app.read_many([natale.id, pasqua.id], Counter)
    assert (after[0].ticks, before[0].ticks) == (7, 0)  # a new object: the one read before is left as it was
    assert after[1] is before[1]
    app.close()


def test_the_cache_keeps_the_most_recently_read(embedded_settings: Settings) -> None:
    app = sample_app(embedded_settings)
    counters = [Counter(f"Giulia {n}") for n in range(3)]
    app.save(*counters)
    cache = ReadCache(app.recorder, app.mapper, size=2)
    first = cache.read([c.id for c in counters])
    again = cache.read([counters[0].id, counters[2].id])
    assert again[counters[2].id] is first[counters[2].id]
    assert again[counters[0].id] is not first[counters[0].id]  # the oldest read was let go
    app.close()


def test_versions_and_events_of_many_aggregates_in_one_statement(embedded_settings: Settings) -> None:
    app = sample_app(embedded_settings)
    counters = [Counter(f"Marco {n}") for n in range(1200)]  # three statements of 500 ids
    for counter in counters[::2]:
        counter.tick(1)
    app.save(*counters)
    ids = [c.id for c in counters]
    assert versions_of(app.recorder, ids) == {c.id: c.version for c in counters}
    events = events_of(app.recorder, ids)
    assert [len(events[i]) for i in ids[:4]] == [2, 1, 2, 1]
    assert [e.originator_version for e in events[ids[0]]] == [1, 2]
    app.close()
