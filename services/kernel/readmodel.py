"""Read-model storage: plain SQL on SQLite or PostgreSQL; rows and tracking position in ONE transaction."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import ConnectionPool

from services.kernel.messages import Message
from services.kernel.settings import Settings

Row = dict[str, Any]
Params = Sequence[Any]

_TRACKING = (
    "CREATE TABLE IF NOT EXISTS tracking ("
    " source TEXT NOT NULL, part INTEGER NOT NULL, position BIGINT NOT NULL,"
    " PRIMARY KEY (source, part))"
)


class Tx(Protocol):
    """One open transaction. SQL uses `?` placeholders on both databases."""

    for_update: str  # the row-locking suffix for SELECT on this database ("" where writers are serial)

    def execute(self, sql: str, params: Params = ()) -> int: ...
    def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...
    def query(self, sql: str, params: Params = ()) -> list[Row]: ...
    def one(self, sql: str, params: Params = ()) -> Row | None: ...


@dataclass(frozen=True)
class Projection:
    """A read model: its tables, the sources it reads, and how one message changes its rows."""

    name: str
    sources: tuple[str, ...]
    schema: tuple[str, ...]
    apply: Callable[[Tx, Message], None]


class ReadStore(ABC):
    """One projection's database: a SQLite file (embedded) or a PostgreSQL schema (distributed)."""

    dialect: str

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager yielding a `Tx`, committed on normal exit."""

    def pipelined(self) -> Any:
        """Like `transaction`, for a hot path of few statements: on PostgreSQL the statements whose answer is not
        read wait in a pipeline and go with the next that is read, BEGIN with the first and COMMIT with those
        still waiting, so a transaction of two reads and some writes costs two or three round trips. Its
        `execute` returns no row count."""
        return self.transaction()

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self.transaction() as tx:
            rows: list[Row] = tx.query(sql, params)
            return rows

    def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Like `query`, the columns as plain tuples in SELECT order (for reads of many rows)."""
        return [tuple(row.values()) for row in self.query(sql, params)]

    def close(self) -> None:
        return None

    def create(self, schema: Iterable[str]) -> None:
        with self.transaction() as tx:
            for ddl in (_TRACKING, *schema):
                tx.execute(ddl)

    @abstractmethod
    def purge(self, tables: Sequence[str]) -> bool:
        """Rewrite `tables` so rows deleted from them leave no copy the database could read back.

        False when some deleted rows had to be kept (a transaction older than the delete still ran).
        """

    def positions(self) -> dict[tuple[str, int], int]:
        rows = self.query("SELECT source, part, position FROM tracking")
        return {(r["source"], r["part"]): r["position"] for r in rows}


def open_store(settings: Settings, name: str) -> ReadStore:
    """The database named `name`: `<data_dir>/<name>.db` embedded, schema `<name>` distributed."""
    if settings.distributed:
        return PostgresStore(settings.postgres.conninfo(), schema=name)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteStore(str(settings.data_dir / f"{name}.db"))


def apply_batch(store: ReadStore, projection: Projection, messages: Sequence[Message], part: int = 0) -> int:
    """Apply messages not seen before and move the tracking position, atomically. Returns how many applied.

    Duplicates (a relay that republished after a crash) carry a position at or below the tracked one
    for their (source, partition), because one partition is written in position order.
    """
    applied = 0
    with store.transaction() as tx:
        seen: dict[str, int] = {}
        for message in messages:
            if message.source not in seen:
                seen[message.source] = _locked_position(tx, message.source, part)
            if message.position <= seen[message.source]:
                continue
            projection.apply(tx, message)
            seen[message.source] = message.position
            applied += 1
        for source, position in seen.items():
            tx.execute(
                "INSERT INTO tracking (source, part, position) VALUES (?, ?, ?) "
                "ON CONFLICT (source, part) DO UPDATE SET position = excluded.position",
                (source, part, position),
            )
    return applied


def _locked_position(tx: Tx, source: str, part: int) -> int:
    """The tracked position, locked until commit: after a rebalance, a second consumer that got the
    partition waits here for the first one's batch and then skips what it applied."""
    tx.execute(
        "INSERT INTO tracking (source, part, position) VALUES (?, ?, 0) ON CONFLICT (source, part) DO NOTHING",
        (source, part),
    )
    row = tx.one(f"SELECT position FROM tracking WHERE source = ? AND part = ?{tx.for_update}", (source, part))
    return int(row["position"]) if row else 0


def advance(store: ReadStore, source: str, position: int, part: int = 0) -> None:
    """Move tracking past positions that carried nothing for this projection."""
    with store.transaction() as tx:
        tx.execute(
            "INSERT INTO tracking (source, part, position) VALUES (?, ?, ?) "
            "ON CONFLICT (source, part) DO UPDATE SET position = excluded.position "
            "WHERE tracking.position < excluded.position",
            (source, part, position),
        )


class SqliteStore(ReadStore):
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._opening = threading.Lock()
        self._opened: list[sqlite3.Connection] = []  # every thread's connection, so `close` reaches them all
        self._closed = False
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with self._opening:
                if self._closed:  # connecting again would create an empty file where a dropped one was
                    raise sqlite3.ProgrammingError(f"read store {self.path} is closed")
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                self._opened.append(conn)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        """Close every thread's connection, so a deleted file's disk space is given back."""
        with self._write_lock, self._opening:  # a write under way finishes first
            self._closed = True
            for conn in self._opened:
                conn.close()
            self._opened.clear()

    @contextmanager
    def transaction(self) -> Iterator[_SqliteTx]:
        conn = self._connection()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def purge(self, tables: Sequence[str]) -> bool:
        # VACUUM rebuilds the file without free pages; TRUNCATE empties the WAL that still held old pages.
        with self._write_lock:
            conn = self._connection()
            conn.execute("VACUUM")
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return not busy

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        # Readers never take the write lock: WAL lets them read beside the writer.
        return _SqliteTx(self._connection()).query(sql, params)


class _SqliteTx:
    for_update = ""  # BEGIN IMMEDIATE already makes the writer alone

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.conn.execute(sql, _bindable(params)).rowcount

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self.conn.executemany(sql, (_bindable(r) for r in rows))

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return [dict(r) for r in self.conn.execute(sql, _bindable(params)).fetchall()]

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row = self.conn.execute(sql, _bindable(params)).fetchone()
        return dict(row) if row else None


def _bindable(params: Params) -> tuple[Any, ...]:
    return tuple(str(p) if isinstance(p, Decimal) else p for p in params)


class PostgresStore(ReadStore):
    dialect = "postgres"

    def __init__(self, conninfo: str, schema: str, max_size: int = 8) -> None:
        self.schema = schema
        with psycopg.connect(conninfo, autocommit=True) as conn:
            # Concurrent starters of the same projection must not race on CREATE SCHEMA.
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (schema,))
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (schema,))
        self.pool = ConnectionPool(
            conninfo, min_size=1, max_size=max_size, open=True,
            kwargs={"options": f"-c search_path={schema}", "row_factory": dict_row},
        )

    @contextmanager
    def transaction(self) -> Iterator[_PostgresTx]:
        with self.pool.connection() as conn, conn.transaction():
            yield _PostgresTx(conn)

    @contextmanager
    def pipelined(self) -> Iterator[_PostgresTx]:
        with self.pool.connection() as conn:
            conn.autocommit = True  # BEGIN and COMMIT as plain statements: psycopg's own would each wait
            try:
                with conn.pipeline():
                    conn.execute("BEGIN")
                    yield _PostgresTx(conn, pipelined=True)
                    conn.execute("COMMIT")
            except BaseException:
                if not conn.broken and conn.info.transaction_status != TransactionStatus.IDLE:
                    conn.execute("ROLLBACK")  # at once: the rows it locked are free for the next request
                raise
            finally:
                conn.autocommit = False

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        # One statement is its own transaction: autocommit saves the BEGIN and COMMIT round trips.
        with self.pool.connection() as conn:
            conn.autocommit = True
            try:
                return _PostgresTx(conn).query(sql, params)
            finally:
                conn.autocommit = False

    def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        with self.pool.connection() as conn:
            conn.autocommit = True
            try:
                with conn.cursor(row_factory=tuple_row) as cursor:
                    return cursor.execute(_pyformat(sql), params).fetchall()
            finally:
                conn.autocommit = False

    def create(self, schema: Iterable[str]) -> None:
        with self.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (self.schema,))
            for ddl in (_TRACKING, *schema):
                tx.execute(ddl)

    def purge(self, tables: Sequence[str], wait_seconds: float = 120.0) -> bool:
        # Plain VACUUM leaves dead tuples' bytes in the pages; VACUUM FULL writes the table to a new file.
        # It still copies rows deleted after the oldest running transaction (of ANY database) began: so
        # first wait for the transactions running now to end, then rewrite, and check none was kept.
        kept: list[int] = []
        deadline = time.monotonic() + wait_seconds
        with self.pool.connection() as conn:
            conn.autocommit = True

            def note(notice: psycopg.errors.Diagnostic) -> None:
                kept.extend(_kept_rows(notice.message_detail or ""))

            conn.add_notice_handler(note)
            try:
                tx = _PostgresTx(conn)
                now = tx.one("SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS x")
                while time.monotonic() < deadline:
                    if tx.one("SELECT pg_snapshot_xmin(pg_current_snapshot()) < ?::xid8 AS running",
                              (now["x"] if now else "0",)) == {"running": True}:
                        time.sleep(0.1)
                        continue
                    kept.clear()
                    for table in tables:
                        conn.execute(f'VACUUM (FULL, VERBOSE) "{self.schema}"."{table}"')
                    if not any(kept):
                        return True
                    time.sleep(0.2)
                return False
            finally:
                conn.remove_notice_handler(note)
                conn.autocommit = False

    def close(self) -> None:
        self.pool.close()


class _PostgresTx:
    for_update = " FOR UPDATE"

    def __init__(self, conn: psycopg.Connection[Any], pipelined: bool = False) -> None:
        self.conn = conn
        self._pipelined = pipelined

    def execute(self, sql: str, params: Params = ()) -> int:
        cursor = self.conn.execute(_pyformat(sql), params)
        return -1 if self._pipelined else cursor.rowcount  # in a pipeline, asking would wait for the server

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_pyformat(sql), list(rows))

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self.conn.execute(_pyformat(sql), params).fetchall())

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(_pyformat(sql), params).fetchone()
        return row


_KEPT = re.compile(r"(\d+) dead row versions cannot be removed yet")


def _kept_rows(detail: str) -> list[int]:
    return [int(n) for n in _KEPT.findall(detail)]


_PYFORMAT_CACHE: dict[str, str] = {}


def _pyformat(sql: str) -> str:
    """`?` placeholders → psycopg's `%s`, leaving string literals alone."""
    cached = _PYFORMAT_CACHE.get(sql)
    if cached is not None:
        return cached
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
        if char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    _PYFORMAT_CACHE[sql] = "".join(out)
    return _PYFORMAT_CACHE[sql]
