"""Event-store wiring: settings → the library's environment, and the application base every service uses."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

import orjson
import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Notification,
    OperationalError,
    ProcessRecorder,
    StoredEvent,
    Tracking,
    Transcoder,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresProcessRecorder
from psycopg import Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

from services.kernel.bulkread import ReadCache
from services.kernel.clock import Clock, SystemClock
from services.kernel.errors import ConcurrencyConflict, NotFound
from services.kernel.idempotency import PendingRequest
from services.kernel.messages import NeedsDecoding, encoded_parts, reads_states_of, skipped
from services.kernel.settings import Settings
from services.kernel.transcoder import DateAsISO, FastJSONTranscoder

A = TypeVar("A", bound=Aggregate)


def event_store_env(settings: Settings, service: str) -> dict[str, str]:
    """The one function that turns settings into an application's event-store environment."""
    if settings.distributed:
        pg = settings.postgres
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": pg.dbname,
            "POSTGRES_HOST": pg.host,
            "POSTGRES_PORT": str(pg.port),
            "POSTGRES_USER": pg.user,
            "POSTGRES_PASSWORD": pg.password,
            "POSTGRES_SCHEMA": service,
            "POSTGRES_POOL_SIZE": "1",
            "POSTGRES_MAX_OVERFLOW": "15",
            # Never enable DB functions: readers following the log could skip events (DESIGN.md).
            "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
            "CREATE_TABLE": "y",
            "PROCESS_RECORDER_TOPIC": "services.kernel.eventstore:EventRecorder",
        }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        # One file per application: the library uses fixed table names.
        "SQLITE_DBNAME": str(settings.data_dir / f"{service}.events.db"),
        "SQLITE_LOCK_TIMEOUT": "10",
        "CREATE_TABLE": "y",
    }


class ServiceApplication(Application[UUID]):
    """An event-sourced application with a clock, 404/409 translation, idempotent saves and a save signal."""

    def __init__(self, env: dict[str, str], clock: Clock | None = None) -> None:
        with _schema_lock(env):
            super().__init__(env=env)
        self.clock: Clock = clock or SystemClock()
        if isinstance(self.recorder, EventRecorder) and reads_states_of(self.mapper):
            self.recorder.message_source = self.recorder.datastore.schema  # a service's schema is its source
        self._listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()
        self._read_cache = ReadCache(self.recorder, self.mapper)

    def construct_transcoder(self) -> Transcoder:
        transcoder = FastJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def construct_recorder(self) -> ProcessRecorder:
        # A process recorder also stores tracking records, which reactions save atomically with events.
        return self.factory.process_recorder()

    def get(self, aggregate_id: UUID, kind: type[A]) -> A:
        """The aggregate with this id, or NotFound naming the kind; never another kind's aggregate."""
        try:
            aggregate: Any = None
            after: int | None = None
            if self.snapshots is not None and issubclass(kind, tuple(self.snapshotting_intervals or ())):
                # Only a snapshotted kind asks the snapshot store first (for any other kind it would be a query
                # for nothing on every load of a donor or a pledge): the latest snapshot, then what followed it.
                for snapshot in self.snapshots.get(aggregate_id, desc=True, limit=1):
                    aggregate = snapshot.mutate(None)  # type: ignore[attr-defined]
                    after = aggregate.version
            for event in self.repository.event_store.get(aggregate_id, gt=after):
                # Not the library's project_aggregate: its assertion that each event can mutate is a runtime
                # Protocol check, a third of the time of loading a slot of the week.
                aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
            if aggregate is None:
                raise AggregateNotFoundError(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} not found") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{kind.__name__.lower()} {aggregate_id} not found")
        return aggregate

    def get_together(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, Aggregate]:
        """For a command: these aggregates as stored now (any kind; ids without events are left out), on
        PostgreSQL in one statement, each from its latest snapshot when it has one, where `get` costs a round trip
        per aggregate (two for a snapshotted one). Never from a cache: the command saves them."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresApplicationRecorder):
            found: dict[UUID, Aggregate] = {}
            for aggregate_id in aggregate_ids:
                try:
                    found[aggregate_id] = self.get(aggregate_id, Aggregate)
                except NotFound:
                    continue
            return found
        with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row, binary=True) as cursor:
            rows = cursor.execute(self._together_query(recorder), {"ids": list(aggregate_ids)}, prepare=True).fetchall()
        aggregates: dict[UUID, Any] = {}
        for originator_id, version, topic, state, _ in rows:
            event = self.mapper.to_domain_event(StoredEvent(
                originator_id=originator_id, originator_version=version, topic=topic, state=bytes(state)))
            aggregates[originator_id] = event.mutate(aggregates.get(originator_id))  # type: ignore[attr-defined]
        return aggregates

    def _together_query(self, recorder: PostgresApplicationRecorder) -> str:
        schema = recorder.datastore.schema
        events = f'"{schema}"."{recorder.events_table_name}"'
        if self.snapshots is None or not self.snapshotting_intervals:
            return (f"SELECT originator_id, originator_version, topic, state, 1 FROM {events} "
                    "WHERE originator_id = ANY(%(ids)s) ORDER BY originator_id, originator_version")
        snapshots = f'"{schema}"."{self.snapshots.recorder.events_table_name}"'  # type: ignore[attr-defined]
        # Each id's latest snapshot (first in the order), then its events after the snapshot's version.
        return (f"WITH s AS (SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic, state "
                f"FROM {snapshots} WHERE originator_id = ANY(%(ids)s) ORDER BY originator_id, originator_version DESC)"
                " SELECT originator_id, originator_version, topic, state, 0 AS k FROM s UNION ALL"
                " SELECT e.originator_id, e.originator_version, e.topic, e.state, 1 AS k"
                f" FROM {events} AS e LEFT JOIN s ON s.originator_id = e.originator_id"
                " WHERE e.originator_id = ANY(%(ids)s) AND e.originator_version > COALESCE(s.originator_version, 0)"
                " ORDER BY originator_id, k, originator_version")

    def read_many(self, aggregate_ids: Sequence[UUID], kind: type[A], *, skip_missing: bool = False) -> list[A]:
        """For queries: these aggregates in the order given, current as the store holds them now, from a cache
        checked against the store's versions in one statement per 500 ids (services.kernel.bulkread). Shared
        between requests: never act on them. NotFound names the first id that has no events or is another
        kind's; with `skip_missing`, ids without events are left out."""
        found = self._read_cache.read(aggregate_ids)
        aggregates: list[A] = []
        for aggregate_id in aggregate_ids:
            aggregate = found.get(aggregate_id)
            if aggregate is None and skip_missing:
                continue
            if not isinstance(aggregate, kind):
                raise NotFound(f"{kind.__name__.lower()} {aggregate_id} not found")
            aggregates.append(aggregate)
        return aggregates

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    def existing(self, aggregate_ids: Collection[UUID]) -> set[UUID]:
        """Which of these aggregates have events (bulk imports): on PostgreSQL one query per 1,000 ids, where
        one `exists` per id costs a round trip each; elsewhere the library's own per-id query."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresApplicationRecorder):
            return {i for i in aggregate_ids if self.exists(i)}
        query = (f'SELECT DISTINCT originator_id FROM "{recorder.datastore.schema}"."{recorder.events_table_name}" '
                 "WHERE originator_id = ANY(%s)")
        ids, found = list(aggregate_ids), set[UUID]()
        with recorder.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as cursor:
            for start in range(0, len(ids), 1000):
                cursor.execute(query, (ids[start:start + 1000],))
                found |= {row[0] for row in cursor.fetchall()}
        return found

    @contextmanager
    def exclusive(self, aggregate_ids: Collection[UUID]) -> Iterator[None]:
        """Only one process at a time inside, per aggregate (hot aggregates such as a fund credited by bulk
        imports in several API processes: they take turns instead of colliding and retrying). On PostgreSQL
        session advisory locks, taken in id order so two callers never wait on each other; elsewhere the
        product is one process and the caller's own lock suffices. Optimistic concurrency still decides."""
        recorder = self.recorder
        if not isinstance(recorder, PostgresApplicationRecorder) or not aggregate_ids:
            yield
            return
        keys = [f"angeli:{recorder.datastore.schema}:{i}" for i in sorted(aggregate_ids, key=str)]
        with recorder.datastore.get_connection() as conn:
            for key in keys:
                conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", (key,))
            conn.commit()  # session locks outlive the transaction; no snapshot is held meanwhile
            try:
                yield
            finally:
                for key in reversed(keys):
                    conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))
                conn.commit()

    def save(self, *objs: Any, once: PendingRequest | None = None, **kwargs: Any) -> Any:
        """Save aggregates in one transaction; with `once` (a route's Idempotency-Key), the request's record too."""
        return self.save_tracked(*objs, tracking=None, once=once, **kwargs)

    def save_tracked(self, *objs: Any, tracking: Tracking | None, once: PendingRequest | None = None,
                     **kwargs: Any) -> Any:
        """Save aggregates, and a reaction's tracking record or a request's idempotency record, in one transaction.
        Only the first save given a request adds its record (a command may save more than once)."""
        record = once.claim(self, objs) if once is not None and once.record is None else None
        if record is not None:
            objs = (*objs, record)
        processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
        processing_event.collect_events(*objs, **kwargs)
        try:
            recordings = self._record(processing_event)
        except IntegrityError:
            if once is not None and record is not None:
                once.release(self)  # only the save that carried the record: an earlier one may have stored it
            raise ConcurrencyConflict(
                "another request changed this record at the same time; read it again and retry"
            ) from None
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self._signal()
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """The library's snapshotting (an application declaring `snapshotting_intervals` gets snapshots), taken
        once per save from the saved aggregate itself: the library re-reads the store for every multiple of the
        interval a save crosses, five times for a bulk save of 500 credits to one fund at interval 100."""
        if self.snapshots is None or not self.snapshotting_intervals:
            return
        due: dict[UUID, Any] = {}
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate)) if aggregate is not None else None
            if interval and event.originator_version % interval == 0:
                due[event.originator_id] = aggregate
        for aggregate in due.values():
            snapshot_class = getattr(type(aggregate), "Snapshot", type(self).snapshot_class)
            assert snapshot_class is not None, f"{type(aggregate).__name__} has no Snapshot class"
            self.snapshots.put([snapshot_class.take(aggregate)])

    def tracked_position(self, source: str) -> int:
        """The last position of `source` whose reaction this application has saved (0 if none)."""
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder.max_tracking_id(source) or 0

    def on_saved(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every successful save (wakes the embedded feeds at once)."""
        with self._listeners_lock:
            self._listeners.append(listener)

    def _signal(self) -> None:
        for listener in list(self._listeners):
            listener()


@contextmanager
def _schema_lock(env: dict[str, str]) -> Iterator[None]:
    """The library creates tables, not schemas; and concurrent CREATE TABLE IF NOT EXISTS can fail with
    "tuple concurrently updated". So: create the schema, and hold a lock while the library makes tables."""
    if env.get("PERSISTENCE_MODULE") != "eventsourcing.postgres":
        yield
        return
    schema = env["POSTGRES_SCHEMA"]
    with psycopg.connect(
        host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"], dbname=env["POSTGRES_DBNAME"], autocommit=True,
    ) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"schema:{schema}",))
        try:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"schema:{schema}",))


class EventRecorder(PostgresProcessRecorder):
    """The library's PostgreSQL recorder with three changes.

    - Writers of different aggregates commit side by side. The library takes an exclusive lock on the event
      table for every save, so that notification ids become visible in the order they were given and a reader
      following the log never passes an id that commits later; every save of a service then waits for the one
      before it, commit included. Here a save instead announces the lowest id it may take, before taking any,
      as a transaction-scoped shared advisory lock keyed by that id (released when it commits or rolls back);
      and readers read only up to the horizon (`horizon`): the newest id below every announcement still held.
      Ids at or under the horizon are committed or will never be. The NOTIFY that wakes other processes is sent
      after the commit in the same pipeline: a NOTIFY inside the transaction would make every commit in the
      database wait for the one before it (PostgreSQL orders notifications by taking a lock until commit ends).
    - A save's events go as typed arrays in binary instead of one array of composite values written out as text
      (escaped field by field in Python: a fifth of a bulk import's time). Same statement shape (INSERT …
      SELECT FROM unnest, in order), same notification ids returned.
    - A transactional outbox: each event's integration message is rendered as it is saved, into a `message`
      column beside the event, complete with its position (the notification id, taken from the sequence in
      the statement itself). The relay sends that column as it is, instead of decoding and rendering every
      event again in its own hot loop. Only while `message_source` is set (states the writer can read: no
      cipher, no compression); otherwise, and for events older than the column, it stays NULL and the relay
      renders through the application.

    Every process writing to one event table must run this recorder: a writer that takes the library's table
    lock does not announce itself, and readers could pass its ids.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events",
                 tracking_table_name: str = "notification_tracking") -> None:
        super().__init__(datastore, events_table_name=events_table_name, tracking_table_name=tracking_table_name)
        self.message_source: str | None = None
        table = SQL("{schema}.{table}").format(schema=Identifier(datastore.schema), table=Identifier(events_table_name))
        self.sql_create_statements.append(SQL("ALTER TABLE {table} ADD COLUMN IF NOT EXISTS message bytea").format(
            table=table))
        sequence = f'"{datastore.schema}"."{events_table_name}_notification_id_seq"'  # the bigserial's own
        # An empty head and no tail: an empty message (skipped by feeds). No head: NULL (rendered by the relay).
        # Every statement of a save as bytes, rendered once: psycopg renders a composed statement again at each
        # execution, and a bytes query's parse is cached. About a tenth of a save's client CPU.
        self._insert_arrays = SQL(
            "INSERT INTO {table} (notification_id, originator_id, originator_version, topic, state, message) "
            "SELECT n, o, v, t, s, CASE WHEN tl IS NULL THEN h ELSE h || n::text::bytea || tl END FROM "
            "(SELECT nextval({sequence}::regclass) AS n, o, v, t, s, h, tl FROM unnest("
            "%b::uuid[], %b::bigint[], %b::text[], %b::bytea[], %b::bytea[], %b::bytea[]) AS u(o, v, t, s, h, tl)"
            ") AS e RETURNING notification_id"
        ).format(table=table, sequence=Literal(sequence)).as_bytes()  # %b: with %s psycopg sends lists of bytes
        # and text as text arrays, every state hex-escaped and quoted in Python and parsed back by the server
        key = announcement_key(datastore.schema, events_table_name)
        self._announce = announce_statement(sequence, key).as_bytes()
        self.horizon_statement = horizon_statement(sequence, key).as_bytes()
        self._notify_statement = SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_bytes()

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The save in one round trip: BEGIN, the tracking record, the announcement, the events, COMMIT and the
        NOTIFY go as one pipeline; a conflict surfaces at its end as the IntegrityError the library raises."""
        tracking: Tracking | None = kwargs.get("tracking")
        for attempt in range(10):  # the library's retry of a lost connection, without its decorator's overhead
            try:
                return self._insert_pipelined(stored_events, tracking)
            except (InterfaceError, OperationalError):
                if attempt == 9:
                    raise
                time.sleep(0.2)
        return None

    def _insert_pipelined(self, stored_events: Sequence[StoredEvent], tracking: Tracking | None) -> list[int]:
        # BEGIN and COMMIT as plain statements of the (autocommit) connection: psycopg's own transaction blocks
        # wait for the server at their start and end inside a pipeline, three round trips instead of one.
        with self.datastore.get_connection() as conn:
            inserted = conn.cursor()
            try:
                with conn.pipeline():
                    conn.execute(_BEGIN)
                    if tracking is not None:
                        with conn.cursor() as curs:
                            self._insert_tracking(curs, tracking)  # its answer is awaited: a reaction's two trips
                    if stored_events:
                        self._insert_stored_events(inserted, stored_events)
                    conn.execute(_COMMIT)
                    if stored_events:
                        conn.execute(self._notify_statement)
            except BaseException:
                if conn.broken:  # the server ended the transaction; the pool drops the connection
                    raise
                if conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute(_ROLLBACK)  # at once: the announcement must not outlive the failed save
                if stored_events:
                    conn.execute(self._notify_statement)  # readers held behind it look again now
                raise
            return [row["notification_id"] for row in inserted.fetchall()] if stored_events else []

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                              **kwargs: Any) -> None:
        heads, tails = self._outbox(stored_events)
        curs.execute(self._announce, prepare=True)
        curs.execute(self._insert_arrays, (
            [e.originator_id for e in stored_events], [e.originator_version for e in stored_events],
            [e.topic for e in stored_events], [e.state for e in stored_events], heads, tails,
        ), binary=True)

    def horizon(self, cursor: Cursor[Any] | None = None) -> int:
        """The newest notification id a reader may read now: every id up to it is committed or never will be.
        Read it in a statement of its own, before the rows (the rows' snapshot must be taken after it)."""
        if cursor is not None:
            row = cursor.execute(self.horizon_statement, prepare=True).fetchone()
        else:
            with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
                row = curs.execute(self.horizon_statement, prepare=True).fetchone()
        return int(_first(row) or 0)

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *, inclusive_of_start: bool = True) -> Sequence[Notification]:
        """The library's query, never past the horizon (dropped from the page rather than given to the query as an
        upper bound: see feed._UP_TO)."""
        horizon = self.horizon()
        found: Sequence[Notification] = super().select_notifications(
            start, limit, stop, topics, inclusive_of_start=inclusive_of_start)
        return [n for n in found if n.id <= horizon]

    def _outbox(self, events: Sequence[StoredEvent]) -> tuple[list[bytes | None], list[bytes | None]]:
        """Each event's message cut at its position (head, tail), for the statement to join around the id it
        takes. An event feeds skip gets (b"", None): an empty message; one that needs the application gets
        (None, None), and the relay renders it through the application instead."""
        heads: list[bytes | None] = [None] * len(events)
        tails: list[bytes | None] = [None] * len(events)
        if self.message_source is None:
            return heads, tails
        for index, event in enumerate(events):
            if skipped(event.topic):
                heads[index] = b""
                continue
            try:
                heads[index], tails[index] = encoded_parts(
                    self.message_source, event.originator_id, event.originator_version, event.topic, event.state)
            except (NeedsDecoding, orjson.JSONDecodeError):
                continue  # left NULL (not `suppress`: its block costs ~0.4 µs an event, a tenth of the rendering)
        return heads, tails


def _first(row: Any) -> Any:
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


_BEGIN, _COMMIT, _ROLLBACK = b"BEGIN", b"COMMIT", b"ROLLBACK"
_LOW32 = 4294967295  # ids are announced by their low 32 bits (an advisory key is two int4)
_SIGN = 2147483648


def announcement_key(schema: str, table: str) -> int:
    """The first half of a table's announcements' advisory keys (the second is the id's low 32 bits)."""
    return zlib.crc32(f"angeli-positions:{schema}.{table}".encode()) & 0x7FFFFFFF


def announce_statement(sequence: str, key: int) -> Composed:
    """A writer's first statement, before its ids are taken: a shared advisory lock keyed by the lowest id it can
    get (the sequence's next value now), held until the writer's transaction ends. Shared: writers never wait
    on each other; nobody takes it exclusively."""
    return SQL(
        "SELECT pg_advisory_xact_lock_shared({key}, (((b & {low}) # {sign}) - {sign})::int4) FROM "
        "(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS b FROM {sequence}) AS s"
    ).format(key=Literal(key), low=Literal(_LOW32), sign=Literal(_SIGN), sequence=SQL(sequence))


def horizon_statement(sequence: str, key: int) -> Composed:
    """The horizon in one statement: q, the newest id given out, read FIRST (the subquery needs it); then the
    announcements held now, each id rebuilt from its low 32 bits as the nearest to q. A writer with an id <= q
    took it before q was read, so announced before that: its announcement is seen (still held), or it ended
    before, and its rows are visible to any later statement. The horizon: q, or below the lowest announcement."""
    return SQL(
        "SELECT LEAST(q, COALESCE((SELECT min(q + 1 + ((((l.objid::bigint - ((q + 1) & {low})) & {low}) # {sign})"
        " - {sign})) FROM pg_catalog.pg_locks AS l WHERE l.locktype = 'advisory' AND l.objsubid = 2"
        " AND l.classid = {key}::oid AND l.database = (SELECT oid FROM pg_catalog.pg_database"
        " WHERE datname = current_database())), q + 1) - 1) FROM "
        "(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS q FROM {sequence} OFFSET 0) AS s"
    ).format(key=Literal(key), low=Literal(_LOW32), sign=Literal(_SIGN), sequence=SQL(sequence))
