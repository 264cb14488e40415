"""Key → values indexes kept in the event store itself: one tiny aggregate per (key, value), saved in the same
transaction as what it indexes, found again by a range scan of aggregate ids.

An entry's id is 8 bytes derived from its key followed by 8 bytes derived from its value, so all entries of one key
sit side by side in the store's primary index (ids ordered as bytes on PostgreSQL, as lower-case hex on SQLite):
`values(app, key)` is one range query, O(log n + k). The value's half is the same under every key, so the values
listed under ALL of several keys (`common_values`) are found by intersecting the ids' halves, and only the entries
in the intersection are read: a name search for "Giulia Rossi" reads a handful, not every Giulia. Entries are new
aggregates, each saved once at version 1, so two saves never collide on an index (no hot aggregate, nothing to
retry), and a bulk import adds its entries to its batch like any other new events. Keys are opaque strings
(callers pass digests when the key is personal data). Bookkeeping, not domain state: feeds carry no message for it
(services.kernel.messages.skipped).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterator
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.popo import POPOAggregateRecorder
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.rows import tuple_row

from services.kernel.eventstore import ServiceApplication


def _half(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()[:8]


class IndexEntry(Aggregate):
    """`value` is listed under `key`."""

    @staticmethod
    def create_id(key: str, value: UUID) -> UUID:
        return UUID(bytes=_half(f"key:{key}") + _half(f"value:{value}"))

    @event("Listed")
    def __init__(self, key: str, value: UUID) -> None:
        self.key = key
        self.value = value


def entry(key: str, value: UUID) -> IndexEntry:
    """A new entry, to save with the record it indexes."""
    return IndexEntry(key=key, value=value)


def entry_ids(key: str, values: Collection[UUID]) -> list[UUID]:
    return [IndexEntry.create_id(key, value) for value in values]


def values(app: ServiceApplication, key: str) -> list[UUID]:
    """The values listed under `key`, in no particular order (callers sort what they show)."""
    ids = _ids_with_prefix(app.recorder, _half(f"key:{key}"))
    entries = app.read_many(ids, IndexEntry, skip_missing=True)
    return [e.value for e in entries if e.key == key]  # a 64-bit prefix shared by two keys is checked away


def value_pages(app: ServiceApplication, key: str, size: int) -> Iterator[list[UUID]]:
    """The values of `values(app, key)`, in its order, `size` at a time: the entries' ids are listed once at the
    start, the entries read a page at a time, so what is held grows with the ids alone (a long mailing's
    100,000 entries read at once held some 140 MB)."""
    ids = _ids_with_prefix(app.recorder, _half(f"key:{key}"))
    for start in range(0, len(ids), size):
        entries = app.read_many(ids[start:start + size], IndexEntry, skip_missing=True)
        yield [e.value for e in entries if e.key == key]


def common_values(app: ServiceApplication, keys: Collection[str]) -> list[UUID]:
    """The values listed under every one of `keys` (none for no keys), in no particular order."""
    by_value: dict[bytes, list[UUID]] | None = None
    for key in keys:
        ids = _ids_with_prefix(app.recorder, _half(f"key:{key}"))
        halves = {i.bytes[8:]: i for i in ids}
        by_value = {h: [i] for h, i in halves.items()} if by_value is None else {
            h: [*found, halves[h]] for h, found in by_value.items() if h in halves}
        if not by_value:
            return []
    if by_value is None:
        return []
    # Each value's entries under every key, read in one go, checked: a 64-bit half may collide.
    read = {e.id: e for e in app.read_many([i for ids in by_value.values() for i in ids], IndexEntry,
                                            skip_missing=True)}
    wanted = set(keys)
    values: list[UUID] = []
    for entry_ids in by_value.values():
        entries = [read[i] for i in entry_ids if i in read]
        if {e.key for e in entries} == wanted and len({e.value for e in entries}) == 1:
            values.append(entries[0].value)
    return values


def _ids_with_prefix(recorder: Any, prefix: bytes) -> list[UUID]:
    low, high = UUID(bytes=prefix + bytes(8)), UUID(bytes=prefix + b"\xff" * 8)
    if isinstance(recorder, PostgresAggregateRecorder):
        query = (f'SELECT originator_id FROM "{recorder.datastore.schema}"."{recorder.events_table_name}" '
                 "WHERE originator_id BETWEEN %s AND %s AND originator_version = 1")
        with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(query, (low, high))
            return [row[0] for row in cursor.fetchall()]
    if isinstance(recorder, SQLiteAggregateRecorder):  # ids stored as 32 lower-case hex digits
        query = (f"SELECT originator_id FROM {recorder.events_table_name} "
                 "WHERE originator_id BETWEEN ? AND ? AND originator_version = 1")
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (low.hex, high.hex))
            return [UUID(row[0]) for row in cursor.fetchall()]
    if isinstance(recorder, POPOAggregateRecorder):  # in memory (tests): a scan
        assert isinstance(recorder, ApplicationRecorder)
        with recorder._database_lock:
            return [UUID(i) for i, versions in recorder._stored_events_index.items()
                    if versions and low <= UUID(i) <= high]
    raise TypeError(f"no range scan for {type(recorder).__name__}")
