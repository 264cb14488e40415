"""Many aggregates read for a query in a few statements, and a cache of them checked against the store.

A listing (a week of 1,000 slots) read one aggregate at a time costs one transaction and one query per aggregate,
then decodes every event again on every request. Here the store is asked once which version each aggregate has
(one statement per 500 ids); only aggregates that are new to the cache or have changed since are read again,
also in one statement per 500 ids. Events are immutable, so an aggregate at version n is the same wherever and
whenever it was built: a cached one whose version equals the store's is current, and a query answered from the
cache shows the write just made, in this process or another.

The cached aggregates are shared between requests: for queries only, never to act on (commands use `get`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, Mapper, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.rows import tuple_row

CHUNK = 500  # ids per statement (SQLite allows 999 parameters by default on older builds)


def _chunks(ids: list[UUID]) -> list[list[UUID]]:
    return [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]


def versions_of(recorder: AggregateRecorder, ids: list[UUID]) -> dict[UUID, int]:
    """The current version of each of these aggregates that has events."""
    found: dict[UUID, int] = {}
    if isinstance(recorder, PostgresAggregateRecorder):
        query = (f'SELECT originator_id, MAX(originator_version) FROM "{recorder.datastore.schema}".'
                 f'"{recorder.events_table_name}" WHERE originator_id = ANY(%s) GROUP BY originator_id')
        with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            for chunk in _chunks(ids):
                cursor.execute(query, (chunk,))
                found.update(cursor.fetchall())
    elif isinstance(recorder, SQLiteAggregateRecorder):
        with recorder.datastore.transaction(commit=False) as cursor:
            for chunk in _chunks(ids):
                cursor.execute(f"SELECT originator_id, MAX(originator_version) AS v FROM {recorder.events_table_name} "
                               f"WHERE originator_id IN ({','.join('?' * len(chunk))}) GROUP BY originator_id",
                               [i.hex for i in chunk])
                found.update((UUID(row["originator_id"]), row["v"]) for row in cursor.fetchall())
    else:  # the in-memory store of unit tests
        for aggregate_id in ids:
            last = recorder.select_events(aggregate_id, desc=True, limit=1)
            if last:
                found[aggregate_id] = last[0].originator_version
    return found


def events_of(recorder: AggregateRecorder, ids: list[UUID]) -> dict[UUID, list[StoredEvent]]:
    """Every stored event of these aggregates, by aggregate, oldest first."""
    found = defaultdict[UUID, list[StoredEvent]](list)
    if isinstance(recorder, PostgresAggregateRecorder):
        query = (f'SELECT originator_id, originator_version, topic, state FROM "{recorder.datastore.schema}".'
                 f'"{recorder.events_table_name}" WHERE originator_id = ANY(%s) '
                 "ORDER BY originator_id, originator_version")
        with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            for chunk in _chunks(ids):
                cursor.execute(query, (chunk,))
                for originator, version, topic, state in cursor.fetchall():
                    found[originator].append(StoredEvent(originator, version, topic, bytes(state)))
    elif isinstance(recorder, SQLiteAggregateRecorder):
        with recorder.datastore.transaction(commit=False) as cursor:
            for chunk in _chunks(ids):
                cursor.execute(f"SELECT * FROM {recorder.events_table_name} WHERE originator_id IN "
                               f"({','.join('?' * len(chunk))}) ORDER BY originator_id, originator_version",
                               [i.hex for i in chunk])
                for row in cursor.fetchall():
                    originator = UUID(row["originator_id"])
                    found[originator].append(StoredEvent(originator, row["originator_version"], row["topic"],
                                                         row["state"]))
    else:
        for aggregate_id in ids:
            found[aggregate_id] = list(recorder.select_events(aggregate_id))
    return found


class ReadCache:
    """Aggregates built for queries, the most recently read `size` of them, each valid at its own version."""

    def __init__(self, recorder: AggregateRecorder, mapper: Mapper[UUID], size: int = 20_000) -> None:
        self.recorder, self.mapper, self.size = recorder, mapper, size
        self._aggregates: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, ids: Sequence[UUID]) -> dict[UUID, Any]:
        """The current state of each of these aggregates that has events (absent ones are left out)."""
        wanted = list(dict.fromkeys(ids))
        versions = versions_of(self.recorder, wanted)
        with self._lock:
            held: dict[UUID, Any] = {i: self._aggregates.get(i) for i in versions}
        stale = [i for i, version in versions.items() if held[i] is None or held[i].version != version]
        for aggregate_id, events in events_of(self.recorder, stale).items():
            aggregate: Any = None
            for event in events:  # a new object: one another request holds is never changed under it
                aggregate = self.mapper.to_domain_event(event).mutate(aggregate)  # type: ignore[attr-defined]
            held[aggregate_id] = aggregate
        with self._lock:
            for aggregate_id in (i for i in wanted if i in versions):  # the last asked is kept longest
                self._aggregates[aggregate_id] = held[aggregate_id]
                self._aggregates.move_to_end(aggregate_id)
            while len(self._aggregates) > self.size:
                self._aggregates.popitem(last=False)
        return {i: held[i] for i in versions if held[i] is not None}
