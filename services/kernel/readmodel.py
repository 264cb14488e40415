"""Read-model storage: plain SQL on SQLite or PostgreSQL; rows and tracking position in ONE transaction."""

from __future__ import annotations

import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

import psycopg
from psycopg.rows import dict_row
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

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        with self.transaction() as tx:
            rows: list[Row] = tx.query(sql, params)
            return rows

    def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def close(self) -> None:
        return None

    def create(self, schema: Iterable[str]) -> None:
        with self.transaction() as tx:
            for ddl in (_TRACKING, *schema):
                tx.execute(ddl)

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
                row = tx.one("SELECT position FROM tracking WHERE source = ? AND part = ?", (message.source, part))
                seen[message.source] = row["position"] if row else 0
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
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode=WAL")

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

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

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        # Readers never take the write lock: WAL lets them read beside the writer.
        return _SqliteTx(self._connection()).query(sql, params)


class _SqliteTx:
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

    def create(self, schema: Iterable[str]) -> None:
        with self.transaction() as tx:
            tx.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (self.schema,))
            for ddl in (_TRACKING, *schema):
                tx.execute(ddl)

    def close(self) -> None:
        self.pool.close()


class _PostgresTx:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        return self.conn.execute(_pyformat(sql), params).rowcount

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_pyformat(sql), list(rows))

    def query(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self.conn.execute(_pyformat(sql), params).fetchall())

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(_pyformat(sql), params).fetchone()
        return row


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
